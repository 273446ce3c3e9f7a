from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "defensor.documents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from defensor.accounts.sections import account_section_register
        from defensor.documents.account import PROFILE_SECTION

        account_section_register(PROFILE_SECTION)
