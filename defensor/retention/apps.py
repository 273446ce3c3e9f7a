from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """Erasure on schedule: spam and rejected requests, closed cases (docs/security.md)."""

    name = "defensor.retention"
    label = "retention"
    verbose_name = "Retention"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from defensor.core.periodic import periodic_register
        from defensor.retention.tasks import retention_schedule

        # The worker queues the daily run when it starts (defensor worker).
        periodic_register("retention", retention_schedule)
