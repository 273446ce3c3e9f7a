from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "defensor.intake"
    label = "intake"
    verbose_name = "Public intake"
