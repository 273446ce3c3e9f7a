from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "defensor.staff"
    label = "staff"
    verbose_name = "Team workspace"
