"""Sessions, logins and the rest of STAFF_MIDDLEWARE run on staff pages and not on the public
intake's (core.middleware.StaffOnlyMiddleware): the gate in front of the staff pages holds, and
a public page neither reads nor writes a staff member's session."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client

from defensor.accounts.models import User
from defensor.core.middleware import is_public_page
from tests.intake_visitor import IntakeVisitor

pytestmark = pytest.mark.django_db


def test_the_staff_pages_are_still_behind_login_and_the_second_factor(
    anna: User, password_only_client: Callable[[User], Client], verified_client: Callable[[User], Client],
) -> None:
    assert Client().get("/staff/cases/")["Location"].startswith("/staff/login/")
    # process_view of StaffSessionMiddleware, run from inside StaffOnlyMiddleware
    assert password_only_client(anna).get("/staff/cases/")["Location"].startswith("/staff/2fa/verify/")
    assert verified_client(anna).get("/staff/cases/").status_code == 200


def test_a_public_page_leaves_a_staff_members_session_alone(
    anna: User, verified_client: Callable[[User], Client],
) -> None:
    client = verified_client(anna)
    visitor = IntakeVisitor(client=client)
    visitor.start()
    visitor.fill_all()
    assert visitor.submit()
    for response in (client.get("/"), client.get("/receipt/")):
        assert response.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert client.get("/staff/cases/").status_code == 200  # still logged in, still verified


def test_a_person_on_the_public_pages_gets_no_session_cookie(anna: User) -> None:
    visitor = IntakeVisitor()
    response = visitor.client.get("/request/")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert settings.SESSION_COOKIE_NAME not in visitor.client.cookies


@pytest.mark.parametrize(("path", "public"), [
    ("/", True), ("/request/", True), ("/request/saved/", True), ("/receipt/withdraw/", True),
    ("/staff/", False), ("/staff/login/", False), ("/feeds/x.ics", False), ("/language/", False),
    ("/requests/", False), ("/receipt", False),
])
def test_which_pages_are_public(path: str, public: bool) -> None:
    assert is_public_page(path) is public
