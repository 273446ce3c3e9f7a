from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from defensor.accounts.models import User
from defensor.accounts.services import login_failed_recorded


@receiver(user_login_failed)
def record_login_failure(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = credentials.get("username") or ""
    user = User.objects.filter(username__iexact=username).select_related("membership").first()
    if user is None:
        return  # names that are no account are not recorded: they may be mistyped passwords
    locked_out = bool(getattr(request, "axes_locked_out", False))
    login_failed_recorded(user=user, locked_out=locked_out)
