"""What django-axes keeps about failed logins (a keyed digest of the typed name, nothing else),
and what the login page and the team page ask of it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone

from defensor.core.secrets import derived_key


def lockout_name(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str:
    """The account name as axes stores it: a keyed digest of the lower-cased name.

    People sometimes type a password into the name field; the digest keeps that off the disk,
    and lower-casing makes "Anna" and "anna" one account for the lockout.
    """
    name = ""
    if credentials:
        name = str(credentials.get("username") or "")
    elif request is not None:
        name = str(request.POST.get("username", ""))
    key = derived_key("lockout.v1")
    return hashlib.blake2b(name.strip().lower().encode(), key=key, digest_size=16).hexdigest()


@dataclass(frozen=True)
class AccountLock:
    """Failed logins counted against one account within the cool-off (what the team page shows)."""

    failures: int
    last_failure_at: datetime

    @property
    def locked_until(self) -> datetime:
        return self.last_failure_at + _cool_off()

    @property
    def locked(self) -> bool:
        return self.failures >= settings.AXES_FAILURE_LIMIT


def _cool_off() -> timedelta:
    return timedelta(hours=settings.AXES_COOLOFF_TIME)


def account_locks(*, usernames: Iterable[str]) -> dict[str, AccountLock]:
    """The accounts among ``usernames`` that are locked now, by name (one query for a team)."""
    wanted = {lockout_name(None, {"username": username}): username for username in usernames}
    # Every failure moves attempt_time on, so a lock lasts a cool-off after the latest one.
    rows = (
        AccessAttempt.objects.filter(username__in=wanted, attempt_time__gte=timezone.now() - _cool_off())
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    )
    locks = {wanted[row["username"]]: AccountLock(row["failures"], row["last"]) for row in rows}
    return {username: lock for username, lock in locks.items() if lock.locked}


def is_locked(request: HttpRequest, username: str) -> bool:
    """Whether axes refuses this account name now (asked the way its backend asks)."""
    return bool(AxesProxyHandler.is_locked(request, {"username": username}))


def failure_counted(request: HttpRequest, username: str) -> None:
    """A refused attempt on a locked account counts like any failed login: axes counts it (the
    lock goes on) and the audit log records it (once per cool-off), through Django's signal."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def attempts_forget(*, username: str) -> int:
    """Remove the failures counted against one account; returns how many there were.
    (Only for the service that unlocks an account, which audits it.)"""
    attempts = AccessAttempt.objects.filter(username=lockout_name(None, {"username": username}))
    failures = int(sum(attempts.values_list("failures_since_start", flat=True)))
    attempts.delete()
    return failures
