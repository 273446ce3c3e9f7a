from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "defensor.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth import user_logged_in
        from django.contrib.auth.models import update_last_login

        from defensor.accounts import signals  # noqa: F401  (connects login failure auditing)

        # A password alone is not a login here: last_login is set once the second factor passed.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
