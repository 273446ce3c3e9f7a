"""Someone hammers anna's account with wrong passwords while she needs to work: in Debian's
chromium, scripts off, on a laptop and a phone, anna still gets in with her password and her
authenticator's code; olga, the administrator, sees the lock on the team page and lifts it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases import services as cases
from tests.conftest import PASSWORD, current_token, keyring_of
from tests.test_browser import SCREENSHOTS, browser  # noqa: F401 - the chromium fixture


def _attack(times: int) -> None:
    attacker = Client()
    for _ in range(times):
        attacker.post("/staff/login/", {"username": "anna", "password": "guess", "token": "123456"})


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_anna_logs_in_during_an_attack_and_olga_unlocks_her(
    browser: Any, live_server: Any, viewport: dict[str, int], anna: User, olga: User,  # noqa: F811
) -> None:
    cases.case_open(opened_by=anna, keyring=keyring_of(anna), title="Дело двенадцати гвардейцев")
    shots = SCREENSHOTS / "lockout" / str(viewport["width"])
    shots.mkdir(parents=True, exist_ok=True)
    _attack(settings.AXES_FAILURE_LIMIT + 3)

    # Anna, page 1: the usual login form; she types her password as every day.
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # Page 2: the lock is explained, and the same form now asks for the code too.
    assert page.locator("[data-testid=locked]").is_visible()
    assert page.locator("#id_token").is_visible()
    assert page.input_value("#id_username") == "anna"
    assert page.input_value("#id_password") == ""  # a password is never sent back to the page
    page.screenshot(path=str(shots / "1-locked.png"), full_page=True)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_token", current_token(anna))
    page.click("button[type=submit]")
    # Page 3: her workspace, with her key ring open: the case's sealed title reads.
    assert page.url.endswith("/staff/")
    page.goto(f"{live_server.url}/staff/cases/")
    assert page.get_by_text("Дело двенадцати гвардейцев").is_visible()
    page.screenshot(path=str(shots / "2-in.png"), full_page=True)
    context.close()

    # The attacker goes on and locks the account again; a guess with any code still fails.
    _attack(settings.AXES_FAILURE_LIMIT + 1)
    guess = Client().post("/staff/login/", {"username": "anna", "password": "guess2", "token": "654321"})
    assert guess.status_code == 429
    assert "_auth_user_id" not in guess.client.session

    # Olga logs in (password, then her code) and opens the team page.
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/users/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_token", current_token(olga))
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/staff/users/")
    locked = page.locator("[data-testid=locked-accounts]")
    assert locked.get_by_role("link", name="anna").is_visible()
    page.screenshot(path=str(shots / "3-team-locked.png"), full_page=True)
    unlock = locked.get_by_role("button", name="Разблокировать")
    box = unlock.bounding_box()  # in sight without scrolling the table sideways, on a phone too
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= viewport["width"]
    unlock.click()
    assert page.url.endswith("/staff/users/")
    assert page.locator("[data-testid=locked-accounts]").count() == 0
    page.screenshot(path=str(shots / "4-team-unlocked.png"), full_page=True)
    context.close()

    assert AuditEvent.objects.filter(action="user.unlocked", target_id=str(anna.pk), actor=olga).exists()
    # Unlocked: the password alone works again (the code is asked for next, as always).
    page_after = Client().post("/staff/login/", {"username": "anna", "password": PASSWORD})
    assert page_after.status_code == 302
