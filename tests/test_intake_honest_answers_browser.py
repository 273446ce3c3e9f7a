"""In chromium, scripts off, on a phone, in Russian (issue 19, "What must be shown"): a person who
does not know where they were sent answers «Не знаю / не помню», gives the dismissal order's date
as a month and a year with «Примерно», and sends; the lawyer reads both as such on the request's
page, accepts it, and the claimant's dismissal date in the case is marked ≈."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.cases.models import CaseEvent, EventKind
from defensor.intake.models import Submission
from tests.conftest import require_tool
from tests.test_browser import CHROMIUM_ARGS

SHOTS = Path(os.environ.get("DEFENSOR_DATA_DIR", "var")) / "screenshots"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    path = require_tool("chromium")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _next(page: Any) -> None:
    with page.expect_navigation():
        page.click("button[value=next]")


@pytest.mark.django_db(transaction=True)
def test_dont_know_and_a_rough_date_reach_the_lawyer_and_the_case_as_such(
    chromium: Any, live_server: Any, anna: User, verified_client: Callable[[User], Client]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    person = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="ru-RU")
    page = person.new_page()
    page.goto(f"{live_server.url}/request/")
    # Page 1: the service and the order; where they were sent, the person does not know.
    page.check("input[name=service_category][value=contract]")
    page.check("input[name=force][value=army]")
    page.fill("[name=order_description]", "Приказали ехать, не сказали куда.")
    where_to = page.get_by_role("group", name="Вам сказали, куда именно вас отправляют?")
    where_to.get_by_label("Не знаю / не помню").check()
    page.check("input[name=briefed_on_tasks][value=no]")
    page.check("input[name=consented][value=no]")
    order_date = page.locator("fieldset.date").filter(has=page.locator("[name=order_date_day]"))
    order_date.get_by_label("День").fill("31")
    order_date.get_by_label("Месяц").select_option(label="Февраль")
    order_date.get_by_label("Год").fill("2022")
    order_date.screenshot(path=str(SHOTS / "date-390.png"))
    _next(page)
    # 31 February: refused, said in the summary (its link to «День») and beside the date, each part kept.
    assert page.title().startswith("Ошибка:")
    assert "нет такого дня" in page.inner_text(".error-summary a[href='#id_order_date']")
    assert page.input_value("#id_order_date") == "31"
    assert page.input_value("[name=order_date_month]") == "2"
    assert page.input_value("[name=order_date_year]") == "2022"
    assert page.is_checked("input[name=told_destination][value=unknown]")
    order_date.screenshot(path=str(SHOTS / "date-390-refused.png"))
    order_date.get_by_label("День").fill("")
    _next(page)
    # Page 2: dismissed, the order «in March 2022, roughly».
    page.check("input[name=refusal_method][value=in_writing]")
    page.check("input[name=dismissed][value=yes]")
    dismissal = page.get_by_role("group", name="Дата приказа об увольнении")
    dismissal.get_by_label("Месяц").select_option("3")
    dismissal.get_by_label("Год").fill("2022")
    dismissal.get_by_label("Примерно — точно не помню").check()
    _next(page)
    # Page 3: contact and consent; then the review.
    page.check("input[name=contact_methods][value=site_only]")
    page.check("input[name=consent]")
    _next(page)
    review = page.inner_text("main")
    assert "Не знаю / не помню" in review
    assert "≈ 03.2022 (примерно)" in review
    with page.expect_navigation():
        page.click("button[value=submit]")
    assert Submission.objects.count() == 1
    person.close()

    submission = Submission.objects.get()
    client = verified_client(anna)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    for viewport in ({"width": 390, "height": 844}, {"width": 1366, "height": 900}):
        lawyer = chromium.new_context(java_script_enabled=False, viewport=viewport, locale="ru-RU")
        lawyer.add_cookies([{"name": name, "value": morsel.value, "domain": host, "path": morsel["path"] or "/"}
                            for name, morsel in client.cookies.items()])
        page = lawyer.new_page()
        page.goto(f"{live_server.url}/staff/inbox/{submission.pk}/")
        request_page = page.inner_text("main")
        assert "Не знаю / не помню" in request_page
        assert "≈ 03.2022 (примерно)" in request_page
        if viewport["width"] == 1366:
            page.goto(f"{live_server.url}/staff/hotline/")
            page.locator("fieldset.date").filter(has=page.locator("[name=after-dismissal_order_date_day]")).screenshot(
                path=str(SHOTS / "date-1366.png"))
            lawyer.close()
            continue
        # Accepted into a new case (the form's own choices), the claimant's date is marked ≈.
        with page.expect_navigation():
            page.click("form[action$='/accept/'] button[type=submit]")
        event = CaseEvent.objects.get(kind=EventKind.DISMISSAL_ORDER)
        assert event.approximate
        page.goto(f"{live_server.url}/staff/cases/{event.case_id}/claimants/{event.claimant_id}/")
        shown = page.inner_text("[data-testid=claimant-dismissal]")
        assert shown.startswith("≈01.03.2022"), shown
        lawyer.close()
