"""Repeated wrong passwords lock the account for a while, without recording who the client is."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from tests.conftest import PASSWORD, current_token, keyring_of


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


def _wrong_code(user: User) -> str:
    return "000000" if current_token(user) != "000000" else "111111"


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.django_db
def test_the_owner_logs_in_while_an_attacker_hammers_the_account(
    olga: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    from defensor.cases.services import case_open

    case = case_open(opened_by=anna, keyring=keyring_of(anna), title="Дело о призыве Петрова")
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post("/staff/login/", {"username": "anna", "password": "guess"})
    assert attacker.post("/staff/login/", {"username": "anna", "password": "guess 2"}).status_code == 429

    # Anna's password alone is refused like any other while the account is locked; the page
    # asks her for the password and the code together.
    anna_browser = Client()
    page = anna_browser.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    assert page.status_code == 429
    assert 'name="token"' in page.content.decode()
    assert "пароль и код" in page.content.decode()
    assert "_auth_user_id" not in anna_browser.session

    # Both together let her in, with her keys: the case's title is decrypted on its page.
    login = anna_browser.post(
        "/staff/login/", {"username": "anna", "password": PASSWORD, "token": current_token(anna)}
    )
    assert login.status_code == 302
    assert login["Location"] == "/staff/"
    assert anna_browser.get("/staff/").status_code == 200
    assert "Дело о призыве Петрова" in anna_browser.get(f"/staff/cases/{case.pk}/").content.decode()
    assert AuditEvent.objects.filter(
        action="user.logged_in", target_id=str(anna.pk), details__while_locked=True
    ).exists()

    # The attacker's next guesses still get nobody in, and lock the account again.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post("/staff/login/", {"username": "anna", "password": "guess 3"})
    assert "_auth_user_id" not in attacker.session

    # Olga sees the lock on the team page and lifts it.
    admin = verified_client(olga)
    team = admin.get("/staff/users/").content.decode()
    locked = team.split('data-testid="locked-accounts"', 1)[1].split("</section>", 1)[0]
    assert ">anna<" in locked
    assert f"<td>{settings.AXES_FAILURE_LIMIT}</td>" in locked
    unlocked = admin.post(f"/staff/users/{anna.pk}/", {"action": "unlock", "back": "team"}, follow=True)
    assert unlocked.redirect_chain == [("/staff/users/", 302)]
    assert "anna снова может войти" in unlocked.content.decode()
    assert 'data-testid="locked-accounts"' not in unlocked.content.decode()
    event = AuditEvent.objects.get(action="user.unlocked", target_id=str(anna.pk))
    assert event.actor_id == olga.pk
    assert event.details == {"failures": settings.AXES_FAILURE_LIMIT}
    # Unlocked: her password alone leads to the second step again.
    again = Client().post("/staff/login/", {"username": "anna", "password": PASSWORD})
    assert again["Location"] == "/staff/2fa/verify/"


@pytest.mark.django_db
def test_a_locked_account_never_tells_whether_the_password_was_right(anna: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/staff/login/", {"username": "anna", "password": "guess"})
    tries = [
        {"username": "anna", "password": "guess", "token": current_token(anna)},
        {"username": "anna", "password": PASSWORD},
        {"username": "anna", "password": PASSWORD, "token": _wrong_code(anna)},
    ]
    answers = []
    for data in tries:
        client = Client()
        response = client.post("/staff/login/", data)
        assert "_auth_user_id" not in client.session
        answers.append((response.status_code, _without_csrf(response.content.decode())))
    assert answers[0][0] == 429
    assert answers[0] == answers[1] == answers[2]
    # Each of them counted: the lock goes on.
    failures = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    assert failures == settings.AXES_FAILURE_LIMIT + len(tries)
    assert AuditEvent.objects.filter(action="user.2fa_failed", details__stage="locked").count() == 1


@pytest.mark.django_db
def test_a_locked_account_lets_its_owner_in_with_a_recovery_code(anna: User) -> None:
    from defensor.accounts import services

    codes = services.recovery_codes_regenerate(user=anna)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/staff/login/", {"username": "anna", "password": "guess"})
    client = Client()
    login = client.post(
        "/staff/login/?next=/staff/account/",
        {"username": "anna", "password": PASSWORD, "token": codes[0], "next": "/staff/account/"},
    )
    assert login["Location"] == "/staff/account/"
    assert client.get("/staff/account/").status_code == 200
    assert AuditEvent.objects.filter(action="user.recovery_code_used", target_id=str(anna.pk)).exists()


@pytest.mark.django_db
def test_a_disabled_account_stays_out_even_with_password_and_code(
    olga: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    verified_client(olga).post(f"/staff/users/{anna.pk}/", {"action": "disable"})
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/staff/login/", {"username": "anna", "password": "guess"})
    client = Client()
    response = client.post("/staff/login/", {"username": "anna", "password": PASSWORD, "token": current_token(anna)})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_unlocking_an_account_that_is_not_locked_changes_nothing(
    olga: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    page = verified_client(olga).post(f"/staff/users/{anna.pk}/", {"action": "unlock"}, follow=True)
    assert "не был заблокирован" in page.content.decode()
    assert not AuditEvent.objects.filter(action="user.unlocked").exists()


def _database_work(data: dict[str, str]) -> list[str]:
    """The statements one login attempt runs, values and savepoint names left out."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        Client().post("/staff/login/", data)
    shapes = [re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", query["sql"]) for query in queries.captured_queries]
    return [shape for shape in shapes if "SAVEPOINT" not in shape]


@pytest.mark.django_db
def test_a_locked_account_does_the_same_work_for_a_right_and_a_wrong_password(anna: User) -> None:
    """A guesser timing the answers cannot tell a right password with a wrong code from a wrong
    password: the code is checked for the account either way (and forgotten if the password was wrong)."""
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        Client().post("/staff/login/", {"username": "anna", "password": "guess"})
    wrong_password = _database_work({"username": "anna", "password": "guess", "token": _wrong_code(anna)})
    right_password = _database_work({"username": "anna", "password": PASSWORD, "token": _wrong_code(anna)})
    assert any("otp_totp" in statement for statement in right_password)
    assert wrong_password == right_password


@pytest.mark.django_db
def test_a_recovery_code_is_not_spent_when_the_keys_cannot_be_opened(
    anna: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too many people logging in at once: anna is asked to try again, and the recovery code she
    typed still works when she does."""
    from defensor.access import services as access
    from defensor.accounts import services
    from defensor.keys.crypto import KeyDerivationBusy

    codes = services.recovery_codes_regenerate(user=anna)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/staff/login/", {"username": "anna", "password": "guess"})

    def busy(**kwargs: object) -> bytes:
        raise KeyDerivationBusy()

    monkeypatch.setattr(access, "user_keys_unlock_at_login", busy)
    client = Client()
    data = {"username": "anna", "password": PASSWORD, "token": codes[0]}
    assert client.post("/staff/login/", data).status_code == 503
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="user.recovery_code_used").exists()
    monkeypatch.undo()
    assert client.post("/staff/login/", data)["Location"] == "/staff/"


@pytest.mark.django_db
def test_on_a_locked_account_only_wrong_codes_after_the_right_password_slow_the_authenticator(anna: User) -> None:
    """A stranger's wrong codes leave anna's authenticator alone; someone holding her password
    meets django-otp's back-off with each wrong code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/staff/login/", {"username": "anna", "password": "guess"})
    device = TOTPDevice.objects.get(user=anna, confirmed=True)
    for _ in range(3):
        Client().post("/staff/login/", {"username": "anna", "password": "guess", "token": _wrong_code(anna)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    Client().post("/staff/login/", {"username": "anna", "password": PASSWORD, "token": _wrong_code(anna)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert not device.verify_is_allowed()[0]
