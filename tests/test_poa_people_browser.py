"""Anna, with 300 clients in three group claims, records a power of attorney from a real browser
with scripts off, on a phone and on a laptop: the whole list folded by case; from the refused
claim's link, its 100 claimants ticked; one more client found by surname; the powers forgotten
(refused: every tick kept); then added. The page never scrolls sideways, and the surname never
appears in an address."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.documents.models import PowerOfAttorney
from tests.test_browser import SCREENSHOTS, browser  # noqa: F401 (the chromium fixture)
from tests.test_powers_of_attorney import lawyer, no_worker, three_cases_of_a_hundred  # noqa: F401 (fixtures)

ADD = "/staff/account/powers-of-attorney/"


def _fits(page: Any, selector: str, width: int) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width, (selector, box)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_a_power_of_attorney_for_a_hundred_and_one_clients_from_a_phone_or_a_laptop(
    browser: Any, live_server: Any, viewport: dict[str, int], lawyer: User,  # noqa: F811
    verified_client: Callable[[User], Client], no_worker: None,  # noqa: F811
) -> None:
    (_first, _people), (second, second_people), (_third, third_people) = three_cases_of_a_hundred(lawyer)
    client = verified_client(lawyer)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="ru-RU")
    context.add_cookies([{"name": name, "value": morsel.value, "domain": host, "path": morsel["path"] or "/"}
                         for name, morsel in client.cookies.items()])
    page = context.new_page()
    shots = SCREENSHOTS / str(viewport["width"])
    shots.mkdir(parents=True, exist_ok=True)
    width = viewport["width"]

    # The whole list first: three cases, folded, a line each.
    page.goto(f"{live_server.url}{ADD}")
    assert page.locator("details.poa-group[open]").count() == 0
    assert page.locator("details.poa-group summary").count() == 3
    page.screenshot(path=str(shots / "poa-add-all.png"), full_page=True)

    # Page 1: from the claim that was refused, the second case's claimants are ticked.
    page.goto(f"{live_server.url}/staff/cases/{second.pk}/documents/new/?template=builtin:kas22-claim")
    page.click('[data-testid="poa-add-for-case"]')
    assert page.locator('input[name="people"]:checked').count() == 100
    for selector in ('[data-testid="power-of-attorney-form"]', "#poa-case", "#poa-q", 'button[name="add"]',
                     'details.poa-group summary'):
        _fits(page, selector, width)
    page.screenshot(path=str(shots / "poa-add-case-top.png"))
    page.locator('[data-testid="poa-people"] legend').scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "poa-add-case.png"))

    # Page 2: the particulars typed, then a surname looked for among all cases (posted, not in the address).
    page.fill("#id_number", "46 АА 5555555")
    page.fill("#id_issued_on", "2024-10-01")
    page.fill("#id_issuer", "Козлов Андрей Иванович")
    page.select_option("#poa-case", "")
    page.fill("#poa-q", "Козлов")
    page.click('button[name="show"]')
    assert "Найдено 15 человек." in page.locator('[data-testid="poa-search-result"]').inner_text()
    assert "Козлов" not in page.url
    assert "?" not in page.url
    assert page.locator('input[name="people"]:checked').count() == 100  # still ticked, listed apart
    assert page.input_value("#id_number") == "46 АА 5555555"
    _fits(page, '[data-testid="power-of-attorney-form"]', width)
    page.locator('[data-testid="poa-people"] legend').scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "poa-add-search.png"))

    # Page 3: one of them ticked, "Add" without the powers: refused, every tick kept.
    kozlov = next(pk for pk in third_people if page.locator(f'input[name="people"][value="{pk}"]').count())
    page.check(f'input[name="people"][value="{kozlov}"]')
    page.click('button[name="add"]')
    assert page.locator('input[name="people"]:checked').count() == 101
    assert not PowerOfAttorney.objects.exists()
    page.screenshot(path=str(shots / "poa-add-refused.png"))
    page.screenshot(path=str(shots / "poa-add-refused-whole.png"), full_page=True)

    # Page 4: the powers ticked, added.
    page.check('input[name="powers"][value="sign_and_file"]')
    page.click('button[name="add"]')
    assert page.url.endswith("/staff/account/")
    assert PowerOfAttorney.objects.get().people == sorted([*second_people, kozlov])
    context.close()
    keep = os.environ.get("POA_SHOTS")
    if keep:  # a copy to look at (the brief's /tmp/shots-P)
        shutil.copytree(shots, f"{keep}/{width}", dirs_exist_ok=True)
