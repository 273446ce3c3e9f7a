"""A new colleague can work at once: the organisation keys a role needs arrive in the request
that created the account or changed the role, from the administrator's own keys; a key the
administrator lacks waits, the pages say for whom, and any holder's next click hands it over."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.intake.models import Submission
from defensor.keys.models import KeyGrant, KeyKind
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
MakeSubmission = Callable[..., Submission]
NEW_PASSWORD = PASSWORD + "-lena"


def _create_through_team_page(admin_client: Client, username: str, role: str) -> str:
    """The administrator adds a team member; returns the one-time password the page shows."""
    page = admin_client.post("/staff/users/", {"username": username, "role": role, "language": "ru"})
    assert page.status_code == 200
    shown = re.search(r'data-testid="one-time-password">([^<]+)<', page.content.decode())
    assert shown is not None
    return shown.group(1)


def _first_login(username: str, one_time_password: str) -> Client:
    """The newcomer's first login: password, authenticator enrolment, own password."""
    client = Client()
    assert client.post("/staff/login/", {"username": username, "password": one_time_password})[
        "Location"
    ] == "/staff/2fa/setup/"
    assert client.get("/staff/2fa/setup/").status_code == 200
    device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    assert client.post("/staff/2fa/setup/", {"token": f"{totp.token():0{device.digits}d}"}).status_code == 200
    changed = client.post(
        "/staff/account/password/",
        {"current_password": one_time_password, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    return client


def _reads_request(client: Client, submission: Submission) -> bool:
    page = client.get(f"/staff/inbox/{submission.pk}/")
    assert page.status_code == 200
    return "в/ч 12345" in page.content.decode()


def _keys_missing(team_page: str, username: str) -> str:
    row = re.search(rf'>{username}</a></td>.*?data-testid="keys-missing">([^<]*)<', team_page, re.S)
    assert row is not None
    return row.group(1)


def test_a_lawyer_the_administrator_adds_reads_the_inbox_at_first_login(
    olga: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission()
    olga_client = verified_client(olga)
    one_time_password = _create_through_team_page(olga_client, "lena", "lawyer")

    # No colleague opens another page in between: the keys came with the account.
    lena_client = _first_login("lena", one_time_password)
    assert _reads_request(lena_client, submission)
    assert _keys_missing(olga_client.get("/staff/users/").content.decode(), "lena") == "—"
    assert 'data-testid="keys-pending"' not in lena_client.get("/staff/account/").content.decode()
    lena = User.objects.get(username="lena")
    handed = AuditEvent.objects.get(action="keys.distributed", target_id=str(lena.pk))
    assert handed.actor_id == olga.pk
    assert sorted(handed.details["keys"]) == ["index", "intake"]


def test_a_key_the_administrator_lacks_waits_and_any_holders_next_click_hands_it_over(
    olga: User, anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission()
    # Olga's intake key is gone (her password was reset, say): she holds only the search key.
    KeyGrant.objects.filter(user=olga, material__kind=KeyKind.INTAKE).update(wrapped=None)
    olga_client = verified_client(olga)
    one_time_password = _create_through_team_page(olga_client, "lena", "lawyer")
    lena = User.objects.get(username="lena")

    team = olga_client.get("/staff/users/").content.decode()
    assert _keys_missing(team, "lena") == "ключ приёма (чтобы читать обращения)"
    assert _keys_missing(team, "anna") == "—"
    detail = olga_client.get(f"/staff/users/{lena.pk}/").content.decode()
    assert "ключ приёма (чтобы читать обращения): его может передать любой из этих коллег: anna." in detail

    lena_client = _first_login("lena", one_time_password)
    assert not _reads_request(lena_client, submission)
    own = lena_client.get("/staff/account/").content.decode()
    assert 'data-testid="keys-pending"' in own
    assert "Вашей роли нужны эти ключи, а у вас их пока нет" in own
    assert "его может передать любой из этих коллег: anna." in own
    assert "ключ поиска" not in own  # that one Olga gave at once

    # Anna opens any page: Lena (and Olga) receive the intake key there and then.
    assert verified_client(anna).get("/staff/cases/").status_code == 200
    assert _reads_request(lena_client, submission)
    assert 'data-testid="keys-pending"' not in lena_client.get("/staff/account/").content.decode()
    assert _reads_request(verified_client(olga), submission)
    handed = AuditEvent.objects.get(action="keys.distributed", actor_id=anna.pk, target_id=str(lena.pk))
    assert handed.details["keys"] == ["intake"]
    assert _keys_missing(olga_client.get("/staff/users/").content.decode(), "lena") == "—"

    # Nothing waits any more: a further click hands nothing over and records nothing.
    events = AuditEvent.objects.count()
    assert verified_client(anna).get("/staff/").status_code == 200
    assert AuditEvent.objects.count() == events


def test_a_volunteer_made_lawyer_reads_the_inbox_without_logging_in_again(
    olga: User, boris: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission()
    boris_client = verified_client(boris)
    assert boris_client.get(f"/staff/inbox/{submission.pk}/").status_code == 403
    changed = verified_client(olga).post(f"/staff/users/{boris.pk}/", {"action": "role", "role": "lawyer"})
    assert changed.status_code == 302
    assert _reads_request(boris_client, submission)
    handed = AuditEvent.objects.get(action="keys.distributed", target_id=str(boris.pk))
    assert handed.actor_id == olga.pk
    assert sorted(handed.details["keys"]) == ["index", "intake"]


def test_an_account_disabled_and_enabled_again_reads_requests_at_its_next_login(
    olga: User, anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission()
    olga_client = verified_client(olga)
    assert olga_client.post(f"/staff/users/{anna.pk}/", {"action": "disable"}).status_code == 302
    assert not KeyGrant.objects.filter(user=anna, wrapped__isnull=False, material__kind=KeyKind.INTAKE).exists()

    assert olga_client.post(f"/staff/users/{anna.pk}/", {"action": "enable"}).status_code == 302
    anna.refresh_from_db()  # her sessions ended with the disabling: she logs in anew
    assert _reads_request(verified_client(anna), submission)
    handed = AuditEvent.objects.filter(action="keys.distributed", target_id=str(anna.pk)).latest("pk")
    assert handed.actor_id == olga.pk
    assert "intake" in handed.details["keys"]


def test_a_hand_over_the_database_refuses_does_not_fail_the_holders_page(
    olga: User, anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    submission = make_submission()
    KeyGrant.objects.filter(user=olga, material__kind=KeyKind.INTAKE).update(wrapped=None)
    lena_password = _create_through_team_page(verified_client(olga), "lena", "lawyer")
    lena_client = _first_login("lena", lena_password)
    assert not _reads_request(lena_client, submission)

    from django.db import OperationalError

    from defensor.access import middleware

    def locked(**_kwargs: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(middleware, "keys_distribute", locked)
    anna_client = verified_client(anna)
    assert anna_client.get("/staff/cases/").status_code == 200  # her page, despite the failed hand-over
    assert not _reads_request(lena_client, submission)

    monkeypatch.undo()
    assert anna_client.get("/staff/cases/").status_code == 200  # the next click hands it over
    assert _reads_request(lena_client, submission)
