from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "defensor.deadlines"
    label = "deadlines"
    default_auto_field = "django.db.models.BigAutoField"
