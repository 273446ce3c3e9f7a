from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "defensor.evidence"
    label = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from defensor.cases.signals import evidence_for_files, files_carried
        from defensor.core.periodic import periodic_register
        from defensor.evidence.request_link import items_of_request_files
        from defensor.evidence.services import request_files_taken_in
        from defensor.evidence.sweep import orphan_blobs_schedule
        from defensor.evidence.timestamps import timestamps_schedule  # also registers its start-up checks

        # The worker queues the daily trusted timestamp when it starts (off without DEFENSOR_TSA_URL).
        periodic_register("evidence timestamps", timestamps_schedule)
        # Sealed copies no item names (an accept rolled back after sealing its files): daily.
        periodic_register("evidence orphan sweep", orphan_blobs_schedule)
        # A request's files become items in the accept's transaction (cases cannot import this app).
        files_carried.connect(request_files_taken_in, dispatch_uid="evidence.request_files_taken_in")
        # The request page links a file that is evidence to its item and downloads it through it.
        evidence_for_files.connect(items_of_request_files, dispatch_uid="evidence.items_of_request_files")
