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
    owner = Client()
    locked = owner.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Слишком много неудачных попыток" in html
    assert "_auth_user_id" not in owner.session
    assert owner.get("/staff/")["Location"].startswith("/staff/login/")
    assert AuditEvent.objects.filter(action="user.locked_out", target_id=str(anna.pk)).exists()
    assert AuditEvent.objects.filter(action="user.login_failed", target_id=str(anna.pk)).count() >= 1


@pytest.mark.django_db
def test_lockout_stores_nothing_typed_into_the_form(anna: User) -> None:
    """A password typed into the name field by mistake must not land on the disk."""
    mistake = "my secret passphrase Иванов"
    Client().post("/staff/login/?next=/staff/users/", {"username": mistake, "password": "x"})
    Client().post("/staff/login/", {"username": "anna", "password": "typo of the real one"})
    for attempt in AccessAttempt.objects.all():
        stored = " ".join(str(value) for value in attempt.__dict__.values())
        assert mistake not in stored
        assert "anna" not in stored
        assert "typo of the real one" not in stored
        assert "/staff/users/" not in stored


@pytest.mark.django_db
def test_lockout_ignores_the_case_of_the_name(anna: User) -> None:
    for name in ["ANNA", "Anna", "anna", "aNNa", "annA"][: settings.AXES_FAILURE_LIMIT]:
        Client().post("/staff/login/", {"username": name, "password": "guess"})
    assert Client().post("/staff/login/", {"username": "anna", "password": PASSWORD}).status_code == 429


@pytest.mark.django_db
def test_attempts_on_a_locked_account_do_not_flood_the_audit_log(anna: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT + 20):
        Client().post("/staff/login/", {"username": "anna", "password": "guess"})
    assert AuditEvent.objects.filter(action="user.locked_out").count() == 1
    assert AuditEvent.objects.filter(action="user.login_failed").count() == settings.AXES_FAILURE_LIMIT - 1
    for _ in range(10):
        Client().post("/staff/login/", {"username": "nobody-here", "password": "guess"})
    assert AuditEvent.objects.filter(target_id="", action__startswith="user.").count() == 0


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
