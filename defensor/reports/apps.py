from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Published figures: counts of persons in tables that show the scale without exposing anyone."""

    name = "defensor.reports"
    label = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"
