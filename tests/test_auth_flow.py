"""The whole first login, as a new team member lives it, and the ways a session ends."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from defensor.accounts import services
from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.core.models import Organisation
from tests.conftest import PASSWORD, current_token


def _token_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.mark.django_db
def test_first_login_enrols_two_factor_then_forces_a_new_password(organisation: Organisation) -> None:
    user, one_time_password = services.user_create(
        organisation=organisation, username="vera", role=Role.PARALEGAL, created_by=None
    )
    client = Client()
    response = client.post("/staff/login/", {"username": "vera", "password": one_time_password})
    assert response.status_code == 302
    assert response["Location"] == "/staff/2fa/setup/"

    setup = client.get("/staff/2fa/setup/")
    assert setup.status_code == 200
    assert b"<svg" in setup.content
    shown_secret = re.search(rb'data-testid="totp-secret">([A-Z2-7 ]+)<', setup.content)
    assert shown_secret is not None
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # What the person types by hand is the real key.
    import base64

    key = shown_secret.group(1).decode().replace(" ", "")
    assert base64.b32decode(key + "=" * (-len(key) % 8)) == device.bin_key

    wrong = client.post("/staff/2fa/setup/", {"token": "000000" if _token_for(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    time.sleep(1.1)  # a wrong code throttles the device for a second (django-otp back-off)

    before = client.cookies["defensor_session"].value
    done = client.post("/staff/2fa/setup/", {"token": _token_for(device)})
    assert done.status_code == 200
    assert client.cookies["defensor_session"].value != before  # a new session key once verified
    codes = re.findall(rb"<li><code>([a-z0-9-]+)</code></li>", done.content)
    assert len(codes) == 10

    # Verified now, but the administrator's password must be replaced before anything else.
    assert client.get("/staff/")["Location"] == "/staff/account/password/"
    weak = client.post(
        "/staff/account/password/",
        {"current_password": one_time_password, "new_password": "12345678", "new_password_again": "12345678"},
    )
    assert weak.status_code == 400
    changed = client.post(
        "/staff/account/password/",
        {"current_password": one_time_password, "new_password": PASSWORD, "new_password_again": PASSWORD},
    )
    assert changed.status_code == 302
    assert client.get("/staff/").status_code == 200

    actions = list(
        AuditEvent.objects.filter(target_type="accounts.user", target_id=str(user.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "user.created",
        "keys.user_keypair_created",
        "user.password_accepted",
        "user.2fa_enrolment_started",
        "user.2fa_failed",
        "user.2fa_enrolled",
        "user.logged_in",
        "keys.user_keypair_renewed",
        "user.password_changed",
    ]
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.django_db
def test_login_with_authenticator_code(anna: User) -> None:
    assert anna.last_login is None
    client = Client()
    response = client.post("/staff/login/?next=/staff/account/", {"username": "anna", "password": PASSWORD,
                                                                 "next": "/staff/account/"})
    assert response["Location"] == "/staff/2fa/verify/?next=%2Fstaff%2Faccount%2F"
    verified = client.post("/staff/2fa/verify/", {"token": current_token(anna), "next": "/staff/account/"})
    assert verified.status_code == 302
    assert verified["Location"] == "/staff/account/"
    assert client.get("/staff/account/").status_code == 200
    anna.refresh_from_db()
    assert anna.last_login is not None
    assert AuditEvent.objects.filter(action="user.logged_in", target_id=str(anna.pk), details__factor="totp").exists()


@pytest.mark.django_db
def test_password_alone_is_not_recorded_as_a_login(anna: User) -> None:
    Client().post("/staff/login/", {"username": "anna", "password": PASSWORD})
    anna.refresh_from_db()
    assert anna.last_login is None
    assert not AuditEvent.objects.filter(action="user.logged_in").exists()
    assert AuditEvent.objects.filter(action="user.password_accepted", target_id=str(anna.pk)).exists()


@pytest.mark.django_db
def test_wrong_code_is_refused_in_russian_and_the_session_stays_unverified(anna: User) -> None:
    client = Client()
    client.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    token = current_token(anna)
    wrong = "000000" if token != "000000" else "111111"
    response = client.post("/staff/2fa/verify/", {"token": wrong})
    assert response.status_code == 400
    assert "Код неверный" in response.content.decode()
    assert client.get("/staff/")["Location"] == "/staff/2fa/verify/"


@pytest.mark.django_db
def test_recovery_code_works_once(anna: User) -> None:
    codes = services.recovery_codes_regenerate(user=anna)
    first = Client()
    first.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    assert first.post("/staff/2fa/verify/", {"token": codes[0].upper()}).status_code == 302
    assert first.get("/staff/").status_code == 200
    again = Client()
    again.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    assert again.post("/staff/2fa/verify/", {"token": codes[0]}).status_code == 400
    assert AuditEvent.objects.filter(action="user.recovery_code_used", details__remaining=9).exists()


@pytest.mark.django_db
def test_logout_everywhere_ends_sessions_on_other_devices(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    laptop, phone = verified_client(anna), verified_client(anna)
    assert phone.get("/staff/").status_code == 200
    assert laptop.post("/staff/account/logout-everywhere/").status_code == 302
    assert phone.get("/staff/")["Location"].startswith("/staff/login/")
    assert laptop.get("/staff/")["Location"].startswith("/staff/login/")


@pytest.mark.django_db
def test_logout_ends_only_this_session(anna: User, verified_client: Callable[[User], Client]) -> None:
    laptop, phone = verified_client(anna), verified_client(anna)
    assert laptop.post("/staff/logout/").status_code == 302
    assert laptop.get("/staff/")["Location"].startswith("/staff/login/")
    assert phone.get("/staff/").status_code == 200


@pytest.mark.django_db
def test_admin_adds_a_member_who_gets_a_one_time_password(
    olga: User, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(olga)
    response = client.post("/staff/users/", {"username": "grigory", "role": "volunteer", "language": "ru"})
    assert response.status_code == 200
    password = re.search(rb'data-testid="one-time-password">([^<]+)<', response.content)
    assert password is not None
    newcomer = User.objects.get(username="grigory")
    assert newcomer.membership.role == Role.VOLUNTEER
    assert newcomer.must_change_password
    assert newcomer.check_password(password.group(1).decode())
    duplicate = client.post("/staff/users/", {"username": "GRIGORY", "role": "lawyer", "language": "ru"})
    assert duplicate.status_code == 400
    assert User.objects.filter(username__iexact="grigory").count() == 1


@pytest.mark.django_db
def test_role_change_takes_effect_on_the_next_request(
    olga: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    anna_client = verified_client(anna)
    assert anna_client.get("/staff/users/").status_code == 403
    verified_client(olga).post(f"/staff/users/{anna.pk}/", {"action": "role", "role": "admin"})
    assert anna_client.get("/staff/users/").status_code == 200


@pytest.mark.django_db
def test_reset_two_factor_needs_a_new_password_from_the_admin(
    olga: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    anna_client = verified_client(anna)
    reset = verified_client(olga).post(f"/staff/users/{anna.pk}/", {"action": "reset-2fa"})
    new_password = re.search(rb'data-testid="one-time-password">([^<]+)<', reset.content)
    assert new_password is not None
    assert anna_client.get("/staff/")["Location"].startswith("/staff/login/")
    # Whoever found the lost phone and knows the old password cannot enrol a device of their own.
    assert Client().post("/staff/login/", {"username": "anna", "password": PASSWORD}).status_code == 200
    client = Client()
    login = client.post("/staff/login/", {"username": "anna", "password": new_password.group(1).decode()})
    assert login["Location"] == "/staff/2fa/setup/"


@pytest.mark.django_db
def test_each_session_enrolling_sees_its_own_secret(make_user: Callable[..., User]) -> None:
    """Someone else with the one-time password never learns the secret the real user scans."""
    make_user("nina", Role.LAWYER, with_totp=False)
    first, second = Client(), Client()
    for client in (first, second):
        client.post("/staff/login/", {"username": "nina", "password": PASSWORD})
    secret = re.compile(rb'data-testid="totp-secret">([A-Z2-7 ]+)<')
    first_page = first.get("/staff/2fa/setup/")
    second_page = second.get("/staff/2fa/setup/")
    first_secret = secret.search(first_page.content)
    second_secret = secret.search(second_page.content)
    assert first_secret is not None
    assert second_secret is not None
    assert first_secret.group(1) != second_secret.group(1)
    # The first session's secret was replaced: a code from it no longer confirms anything.
    import base64

    key = first_secret.group(1).decode().replace(" ", "")
    first_key = base64.b32decode(key + "=" * (-len(key) % 8))
    stale = TOTP(first_key).token()
    assert first.post("/staff/2fa/setup/", {"token": f"{stale:06d}"}).status_code == 400
    assert not TOTPDevice.objects.filter(user__username="nina", confirmed=True).exists()


@pytest.mark.django_db
def test_an_enrolled_user_cannot_replace_the_authenticator_from_the_setup_page(
    anna: User, password_only_client: Callable[[User], Client], verified_client: Callable[[User], Client]
) -> None:
    assert password_only_client(anna).get("/staff/2fa/setup/")["Location"] == "/staff/2fa/verify/"
    assert verified_client(anna).post("/staff/2fa/setup/", {"token": "123456"})["Location"] == "/staff/2fa/verify/"
    assert TOTPDevice.objects.filter(user=anna).count() == 1


@pytest.mark.django_db
def test_new_recovery_codes_keep_a_session_verified_by_an_old_one(anna: User) -> None:
    codes = services.recovery_codes_regenerate(user=anna)
    client = Client()
    client.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    assert client.post("/staff/2fa/verify/", {"token": codes[0]}).status_code == 302
    page = client.post("/staff/account/recovery-codes/")
    assert page.status_code == 200
    new_codes = re.findall(rb"<li><code>([a-z0-9-]+)</code></li>", page.content)
    assert len(new_codes) == 10
    assert client.get("/staff/").status_code == 200
    late = Client()
    late.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    assert late.post("/staff/2fa/verify/", {"token": codes[1]}).status_code == 400


@pytest.mark.django_db
def test_password_change_ends_the_other_sessions(anna: User, verified_client: Callable[[User], Client]) -> None:
    laptop, phone = verified_client(anna), verified_client(anna)
    changed = laptop.post(
        "/staff/account/password/",
        {"current_password": PASSWORD, "new_password": "another long passphrase 7", "new_password_again":
         "another long passphrase 7"},
    )
    assert changed.status_code == 302
    assert laptop.get("/staff/").status_code == 200
    assert phone.get("/staff/")["Location"].startswith("/staff/login/")


@pytest.mark.django_db
def test_guessing_the_current_password_counts_towards_the_lockout(
    anna: User, verified_client: Callable[[User], Client], settings: object
) -> None:
    from django.conf import settings as django_settings

    client = verified_client(anna)
    guess = {"current_password": "guess", "new_password": "x" * 20 + "9", "new_password_again": "x" * 20 + "9"}
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/staff/account/password/", guess).status_code == 400
    locked = client.post("/staff/account/password/", guess)
    assert locked.status_code == 429
    assert "Слишком много неудачных попыток" in locked.content.decode()
    # Locked now: even the right current password is refused, and a fresh login too.
    response = client.post(
        "/staff/account/password/",
        {"current_password": PASSWORD, "new_password": "another long passphrase 7",
         "new_password_again": "another long passphrase 7"},
    )
    assert response.status_code == 429
    anna.refresh_from_db()
    assert anna.check_password(PASSWORD)
    assert Client().post("/staff/login/", {"username": "anna", "password": PASSWORD}).status_code == 429


@pytest.mark.django_db
def test_language_is_chosen_per_user(anna: User, boris: User, verified_client: Callable[[User], Client]) -> None:
    assert 'lang="ru"' in verified_client(anna).get("/staff/").content.decode()
    boris_client = verified_client(boris)
    assert 'lang="en"' in boris_client.get("/staff/").content.decode()
    boris_client.post("/staff/account/", {"language": "ru"})
    page = boris_client.get("/staff/").content.decode()
    assert 'lang="ru"' in page
    assert "Обзор" in page


@pytest.mark.django_db
def test_the_session_key_is_renewed_when_the_second_factor_is_passed(
    anna: User, olga: User, verified_client: Callable[[User], Client]
) -> None:
    from django.contrib.sessions.models import Session

    from defensor.cases.services import case_open
    from defensor.core.sessions import stored_key
    from defensor.keys.keyring import KEYRING_COOKIE
    from tests.conftest import keyring_of

    case = case_open(opened_by=anna, keyring=keyring_of(anna), title="Дело о призыве Петрова")
    client = Client()
    client.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    after_password = client.cookies["defensor_session"].value
    keyring_cookie = client.cookies[KEYRING_COOKIE].value
    assert client.post("/staff/2fa/verify/", {"token": current_token(anna)}).status_code == 302
    after_code = client.cookies["defensor_session"].value
    assert after_code != after_password
    # The key ring came along: the case's title is decrypted with it.
    assert "Дело о призыве Петрова" in client.get(f"/staff/cases/{case.pk}/").content.decode()
    # Whoever saw the key of the password step (and even the key-ring cookie) has nothing.
    stale = Client()
    stale.cookies["defensor_session"] = after_password
    stale.cookies[KEYRING_COOKIE] = keyring_cookie
    assert stale.get("/staff/")["Location"].startswith("/staff/login/")
    assert stale.get(f"/staff/cases/{case.pk}/")["Location"].startswith("/staff/login/")
    # "Log out everywhere" elsewhere still deletes the renewed session's row (with its key ring).
    verified_client(anna).post("/staff/account/logout-everywhere/")
    assert not Session.objects.filter(session_key=stored_key(after_code)).exists()
    assert client.get("/staff/")["Location"].startswith("/staff/login/")
