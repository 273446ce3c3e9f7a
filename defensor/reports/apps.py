from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Published figures: counts of persons in tables that show the scale without exposing anyone."""

    name = "defensor.reports"
    label = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from defensor.keys.facts import RESEALERS
        from defensor.reports.services import releases_reseal

        if releases_reseal not in RESEALERS:
            RESEALERS.append(releases_reseal)
