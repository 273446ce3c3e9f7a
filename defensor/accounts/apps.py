from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "defensor.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from defensor.accounts import signals  # noqa: F401  (connects login failure auditing)
