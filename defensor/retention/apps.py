from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """Erasure on schedule: spam and rejected requests, closed cases (docs/security.md)."""

    name = "defensor.retention"
    label = "retention"
    verbose_name = "Retention"
