"""Repeated wrong passwords lock the account for a while, without recording who the client is."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_account_locks_after_repeated_failures_even_with_the_right_password(anna: User) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 Canary-UA")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post("/staff/login/", {"username": "anna", "password": "guess"})
    locked = Client().post("/staff/login/", {"username": "anna", "password": PASSWORD})
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Слишком много неудачных попыток" in html
    assert "_auth_user_id" not in Client().session
    assert AuditEvent.objects.filter(action="user.locked_out", target_id=str(anna.pk)).exists()
    assert AuditEvent.objects.filter(action="user.login_failed", target_id=str(anna.pk)).count() >= 1


@pytest.mark.django_db
def test_lockout_stores_no_address_or_browser(anna: User) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 Canary-UA")
    attacker.post("/staff/login/", {"username": "anna", "password": "guess"})
    attempts = list(AccessAttempt.objects.all())
    assert attempts
    for attempt in attempts:
        assert attempt.ip_address in (None, "")
        assert "Canary-UA" not in (attempt.user_agent or "")
        assert "203.0.113.7" not in str(attempt.__dict__)


@pytest.mark.django_db
def test_other_accounts_are_not_locked(anna: User, boris: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        Client().post("/staff/login/", {"username": "anna", "password": "guess"})
    response = Client().post("/staff/login/", {"username": "boris", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_success_before_the_limit_resets_the_count(anna: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        Client().post("/staff/login/", {"username": "anna", "password": "guess"})
    assert Client().post("/staff/login/", {"username": "anna", "password": PASSWORD}).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        Client().post("/staff/login/", {"username": "anna", "password": "guess"})
    assert Client().post("/staff/login/", {"username": "anna", "password": PASSWORD}).status_code == 302
