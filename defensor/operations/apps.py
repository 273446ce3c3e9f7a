from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Backups, restore and the restore drill (docs/operations.md)."""

    name = "defensor.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from defensor.core.periodic import periodic_register
        from defensor.operations.tasks import backup_schedule

        # The daily backup at DEFENSOR_BACKUP_HOUR (off without DEFENSOR_BACKUP_DIR).
        periodic_register("backup", backup_schedule)
