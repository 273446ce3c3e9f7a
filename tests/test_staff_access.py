"""No staff page is reachable without a login and a verified second factor."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from defensor.accounts.models import Role, User
from tests.staff_urls import staff_urls_behind_login

URLS = staff_urls_behind_login()


@pytest.mark.django_db
@pytest.mark.parametrize("url", URLS, ids=[u.name for u in URLS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_login(url, method: str, olga: User) -> None:  # type: ignore[no-untyped-def]
    response = getattr(Client(), method)(url.path(id=olga.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("url", URLS, ids=[u.name for u in URLS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_password_without_second_factor_reaches_nothing(  # type: ignore[no-untyped-def]
    url, method: str, olga: User, password_only_client: Callable[[User], Client]
) -> None:
    client = password_only_client(olga)
    response = getattr(client, method)(url.path(id=olga.pk), {"action": "disable"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/2fa/verify/"
    olga.refresh_from_db()
    assert olga.is_active


@pytest.mark.django_db
def test_user_without_enrolled_authenticator_is_sent_to_enrolment(
    make_user: Callable[..., User], password_only_client: Callable[[User], Client]
) -> None:
    newcomer = make_user("newcomer", Role.LAWYER, with_totp=False)
    client = password_only_client(newcomer)
    response = client.get("/staff/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/2fa/setup/"
    assert b"<svg" in response.content  # the QR code, drawn on our own server


@pytest.mark.django_db
def test_disabled_account_loses_its_session_at_the_next_request(
    olga: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    anna_client = verified_client(anna)
    assert anna_client.get("/staff/").status_code == 200
    admin = verified_client(olga)
    assert admin.post(f"/staff/users/{anna.pk}/", {"action": "disable"}).status_code == 302
    response = anna_client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    # and a disabled account cannot log in again
    again = Client()
    login = again.post("/staff/login/", {"username": "anna", "password": "correct horse battery staple 42"})
    assert login.status_code == 200
    assert "Неверное имя для входа или пароль" in login.content.decode()
    assert "_auth_user_id" not in again.session


@pytest.mark.django_db
def test_the_last_administrator_cannot_be_disabled(olga: User, verified_client: Callable[[User], Client]) -> None:
    client = verified_client(olga)
    response = client.post(f"/staff/users/{olga.pk}/", {"action": "disable"})
    assert response.status_code == 400
    olga.refresh_from_db()
    assert olga.is_active


@pytest.mark.django_db
def test_staff_pages_are_never_cached_and_carry_a_strict_policy(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    response = verified_client(anna).get("/staff/")
    assert response["Cache-Control"] == "no-store, max-age=0"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_admins_are_reminded_to_delete_the_recovery_kit_until_it_is_gone(
    olga: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    from defensor.access.services import RecoveryKit, recovery_kit_path, recovery_kit_write
    from defensor.audit.models import AuditEvent

    organisation = olga.membership.organisation
    path = recovery_kit_write(organisation=organisation, kit=RecoveryKit(shares=[], text="kit text " * 50))
    admin = verified_client(olga)
    assert "Комплект восстановления всё ещё на сервере" in admin.get("/staff/").content.decode()
    assert "Комплект восстановления" not in verified_client(anna).get("/staff/").content.decode()
    assert verified_client(anna).post("/staff/recovery-kit/delete/").status_code == 403
    assert path.exists()
    assert admin.post("/staff/recovery-kit/delete/").status_code == 302
    assert not recovery_kit_path(organisation).exists()
    assert "Комплект восстановления всё ещё" not in admin.get("/staff/").content.decode()
    assert AuditEvent.objects.filter(action="keys.recovery_kit_deleted").count() == 1
