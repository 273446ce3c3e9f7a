"""A new administrator's first login in a real browser (Debian's chromium), scripts off."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_otp.oath import totp

from defensor.accounts import services
from defensor.accounts.models import Role
from defensor.core.models import Organisation
from tests.conftest import PASSWORD, require_tool

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.DATA_DIR) / "screenshots"


@pytest.fixture
def browser() -> Iterator[Any]:
    chromium = require_tool("chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; our database calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _code_from_secret(secret: str) -> str:
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key):06d}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_first_login_in_chromium_with_javascript_off(browser: Any, live_server: Any, viewport: dict[str, int]) -> None:
    organisation = Organisation.objects.create(name="Группа защиты")
    _, one_time = services.user_create(organisation=organisation, username="lena", role=Role.ADMIN, created_by=None)
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="ru-RU")
    page = context.new_page()
    shots = SCREENSHOTS / str(viewport["width"])
    shots.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/staff/")
    assert page.url.endswith("/staff/login/?next=/staff/")
    assert page.locator("h1").inner_text() == "Вход в рабочее пространство"
    page.fill("#id_username", "lena")
    page.fill("#id_password", one_time)
    page.screenshot(path=str(shots / "1-login.png"), full_page=True)
    page.click("button[type=submit]")

    assert "/staff/2fa/setup/" in page.url
    assert page.locator(".qr svg").is_visible()
    secret = page.locator("[data-testid=totp-secret]").inner_text()
    page.screenshot(path=str(shots / "2-enrol.png"), full_page=True)
    page.fill("#id_token", _code_from_secret(secret))
    page.click("form[action='/staff/2fa/setup/'] button[type=submit]")

    codes = page.locator("[data-testid=recovery-codes] li")
    assert codes.count() == 10
    page.screenshot(path=str(shots / "3-codes.png"), full_page=True)
    page.click("a.button.primary")

    assert page.url.endswith("/staff/account/password/")
    page.fill("#id_current_password", one_time)
    page.fill("#id_new_password", PASSWORD)
    page.fill("#id_new_password_again", PASSWORD)
    page.click("form[action='/staff/account/password/'] button[type=submit]")

    assert page.url.endswith("/staff/")
    assert page.locator("h1").inner_text() == "Группа защиты"
    assert page.get_by_role("link", name="Команда").is_visible()
    assert page.get_by_role("link", name="Журнал аудита").is_visible()
    page.screenshot(path=str(shots / "4-home.png"), full_page=True)
    # The layout fits the screen (usable on a phone): no block is wider than the viewport.
    for selector in ["header.top", "main", "main .card"]:
        box = page.locator(selector).first.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= viewport["width"]

    page.goto(f"{live_server.url}/staff/audit/")
    assert page.locator("td code", has_text="user.2fa_enrolled").count() == 1
    page.screenshot(path=str(shots / "5-audit.png"), full_page=True)
    context.close()
