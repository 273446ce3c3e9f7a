from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "defensor.deadlines"
    label = "deadlines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from defensor.accounts.sections import account_section_register
        from defensor.deadlines.account import FEED_SECTION

        account_section_register(FEED_SECTION)
