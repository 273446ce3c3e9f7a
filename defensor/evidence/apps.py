from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "defensor.evidence"
    label = "evidence"
    verbose_name = "Evidence"
