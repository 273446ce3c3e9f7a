from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Backups, restore and the restore drill (docs/operations.md)."""

    name = "defensor.operations"
    label = "operations"
    verbose_name = "Operations"
