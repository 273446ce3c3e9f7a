from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "defensor.intake"
    label = "intake"
    verbose_name = "Public intake"

    def ready(self) -> None:
        from defensor.intake import checks  # noqa: F401  (registers the questionnaire checks)
