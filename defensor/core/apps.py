from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "defensor.core"
    label = "core"
    verbose_name = "Defensor core"

    def ready(self) -> None:
        from defensor.core import checks  # noqa: F401  (registers the system checks)
