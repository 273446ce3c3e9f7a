from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "defensor.intake"
    label = "intake"
    verbose_name = "Public intake"

    def ready(self) -> None:
        from defensor.core.periodic import periodic_register
        from defensor.intake import checks  # noqa: F401  (registers the questionnaire checks)
        from defensor.intake.tasks import uploads_sweep_schedule

        # The worker queues the hourly sweep of files of forms never sent when it starts.
        periodic_register("unsent uploads sweep", uploads_sweep_schedule)
