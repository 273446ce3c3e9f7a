"""A person in Debian's chromium with JavaScript OFF, on a phone-sized screen, in Russian:
the whole questionnaire with an attachment, the receipt, coming back, a reply, a message, and
withdrawal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from defensor.accounts.models import User
from defensor.intake.models import Submission
from tests.intake_visitor import DEFAULT_ANSWERS, PDF
from tests.test_browser import browser  # noqa: F401 - the chromium fixture


def _shows(page: Any, text: str) -> None:
    """Wait until the page that a click opened shows the text (a click does not wait for the next page to load)."""
    from playwright.sync_api import expect

    expect(page.locator("body")).to_contain_text(text)

SHOTS = Path(settings.DATA_DIR) / "screenshots" / "intake"


def _fill_page(page: Any, answers: dict[str, Any]) -> None:
    for name, value in answers.items():
        if page.locator(f"[name={name}_day]").count():  # a date typed in parts: "2022-02-20"
            year, month, day = value.split("-")
            page.fill(f"[name={name}_day]", str(int(day)))
            page.select_option(f"select[name={name}_month]", str(int(month)))
            page.fill(f"[name={name}_year]", year)
            continue
        fields = page.locator(f"[name={name}]")
        if fields.count() == 0:
            continue  # not asked (a condition hid it)
        first = fields.first
        kind = first.get_attribute("type")
        if kind == "radio":
            page.check(f"input[name={name}][value={value}]")
        elif kind == "checkbox" and isinstance(value, list):
            for item in value:
                page.check(f"input[name={name}][value={item}]")
        elif kind == "checkbox":
            page.check(f"input[name={name}]")
        elif page.locator(f"select[name={name}]").count():
            page.select_option(f"select[name={name}]", value)
        else:
            page.fill(f"[name={name}]", value)


def _date_kept(page: Any, name: str, value: str) -> bool:
    """The date's field still holds ``value`` ("2022-02-24"), typed as one value or in parts."""
    if page.locator(f"[name={name}_day]").count():
        year, month, day = value.split("-")
        return bool(page.input_value(f"[name={name}_day]") == str(int(day))
                    and page.input_value(f"[name={name}_month]") == str(int(month))
                    and page.input_value(f"[name={name}_year]") == year)
    return bool(page.input_value(f"[name={name}]") == value)


@pytest.mark.django_db(transaction=True)
def test_the_whole_intake_in_chromium_without_javascript(browser: Any, live_server: Any, anna: User) -> None:  # noqa: F811
    from defensor.intake import services
    from tests.conftest import keyring_of

    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    assert page.title() == "Информация"
    page.click("text=Написать юристам")
    flat = {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}
    for _ in range(12):
        if page.locator("button[value=submit]").count():
            break
        _fill_page(page, flat)
        if page.locator("input[name=files]").count():
            page.set_input_files(
                "input[name=files]", files=[{"name": "рапорт.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
        page.screenshot(path=str(SHOTS / f"step-{_}.png"), full_page=True)
        page.click("button[value=next]")
        errors = page.locator(".error").all_inner_texts()
        assert not errors, errors
    _shows(page, "рапорт.pdf")
    page.screenshot(path=str(SHOTS / "review.png"), full_page=True)
    page.click("button[value=submit]")

    receipt = page.locator("[data-testid=receipt]").inner_text().strip()
    assert len(receipt.split()) == 8
    page.screenshot(path=str(SHOTS / "receipt.png"), full_page=True)
    page.click("button[type=submit]")  # without confirming: shown again, with a request to confirm
    assert page.locator("[data-testid=receipt]").inner_text().strip() == receipt
    page.check("input[name=saved]")
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Спасибо"

    submission = Submission.objects.get()
    assert services.submission_answers(submission=submission, keyring=keyring_of(anna))["force"] == "rosgvardia"

    page.goto(f"{live_server.url}/receipt/")
    page.fill("input[name=receipt]", receipt.upper())
    page.click("form[action='/receipt/'] button[type=submit]")
    _shows(page, "Мы получили ваше обращение")
    page.fill("textarea[name=text]", "Можно звонить по вечерам.")
    page.click("form[action='/receipt/message/'] button[type=submit]")
    assert "отправлено" in page.locator("[role=status]").inner_text()
    page.screenshot(path=str(SHOTS / "status.png"), full_page=True)
    page.check("input[name=confirm]")
    page.click("form[action='/receipt/withdraw/'] button[type=submit]")
    assert page.locator("h1").inner_text() == "Ваше обращение стёрто"
    submission.refresh_from_db()
    assert submission.answers is None
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_file_refused_for_room_keeps_everything_typed_in_chromium(
    browser: Any, live_server: Any, settings: Any,  # noqa: F811
) -> None:
    """On a phone, scripts off: the form's room for files is full, then the disk is low. Each time
    the person reads why on the same page, and nothing they typed or attached before is lost."""
    settings.DEFENSOR_INTAKE_UNSENT_BYTES_PER_VISIT = 1024 * 1024  # one 600 KB scan per form
    scan = PDF + b"0" * 600_000
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{live_server.url}/request/")
    flat = {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}
    for _ in range(12):
        if page.locator("input[name=files]").count():
            break
        _fill_page(page, flat)
        page.click("button[value=next]")
    _fill_page(page, flat)
    page.set_input_files("input[name=files]", files=[
        {"name": "рапорт.pdf", "mimeType": "application/pdf", "buffer": scan},
        {"name": "приказ.pdf", "mimeType": "application/pdf", "buffer": scan},
    ])
    page.click("button[value=next]")
    # Page: the same step; the first file kept, the second refused by name, what was typed still there.
    assert "приказ.pdf" in page.locator(".error").all_inner_texts()[0]
    _shows(page, "рапорт.pdf")
    page.screenshot(path=str(SHOTS / "file-over-form-cap.png"), full_page=True)
    assert _date_kept(page, "refusal_date", flat["refusal_date"])
    assert page.is_checked(f"input[name=refusal_method][value={flat['refusal_method']}]")

    settings.DEFENSOR_INTAKE_UNSENT_BYTES_PER_VISIT = 8 * 1024 * 1024
    settings.DEFENSOR_DISK_RESERVE_BYTES = 1 << 60  # more than any disk has free
    page.set_input_files("input[name=files]", files=[
        {"name": "видео.pdf", "mimeType": "application/pdf", "buffer": PDF},
    ])
    with page.expect_response(lambda response: response.url.endswith("/request/")) as answered:
        page.click("button[value=next]")
    assert answered.value.status == 503  # "try again later", not an error page
    _shows(page, "попробуйте позже")
    _shows(page, "рапорт.pdf")
    page.screenshot(path=str(SHOTS / "file-disk-low.png"), full_page=True)
    assert _date_kept(page, "refusal_date", flat["refusal_date"])
    context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}],
                         ids=["phone", "laptop"])
def test_the_whole_journey_in_five_requests_with_every_follow_up_and_a_file(
    browser: Any, live_server: Any, anna: User, viewport: dict[str, int],  # noqa: F811
) -> None:
    """Scripts off, in Russian: from opening the form to the receipt, every follow-up applying (told
    where to, dismissed, pressure, a phone and Signal) and a file on the second page, takes five page
    loads; no page is shown twice; «Далее» is each page's first button; the lawyer reads it all."""
    from defensor.intake import services
    from tests.conftest import keyring_of
    from tests.intake_visitor import JOURNEY_ANSWERS

    shots = SHOTS / f"journey-{viewport['width']}"
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="ru-RU")
    page = context.new_page()
    documents: list[str] = []
    page.on("request", lambda request: documents.append(request.method) if request.resource_type == "document"
            else None)
    page.goto(f"{live_server.url}/request/")
    titles = []
    for number, answers in enumerate(JOURNEY_ANSWERS.values(), start=1):
        titles.append(page.locator("h1").inner_text())
        assert page.locator("form[action='/request/'] button[type=submit]").first.get_attribute("value") == "next"
        _fill_page(page, answers)
        if number == 2:
            page.set_input_files(
                "input[name=files]", files=[{"name": "рапорт.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
        page.screenshot(path=str(shots / f"{number}.png"), full_page=True)
        with page.expect_navigation():
            page.click("button[value=next]")
        assert not page.locator(".error").all_inner_texts(), page.locator(".error").all_inner_texts()
    assert titles == ["Ваша служба и приказ", "Ваш отказ и что было дальше", "Связь с вами"]
    _shows(page, "Проверьте и отправьте")
    _shows(page, "рапорт.pdf")
    page.screenshot(path=str(shots / "4-review.png"), full_page=True)
    with page.expect_navigation():
        page.click("button[value=submit]")
    receipt = page.locator("[data-testid=receipt]").inner_text().strip()
    page.screenshot(path=str(shots / "5-receipt.png"), full_page=True)
    assert documents == ["GET", "POST", "POST", "POST", "POST"]  # the form, three pages, Send
    context.close()

    submission = services.submission_by_receipt(receipt)
    assert submission is not None
    assert submission.attachments.count() == 1
    stored = services.submission_answers(submission=submission, keyring=keyring_of(anna))
    expected = {k: v for page_ in JOURNEY_ANSWERS.values() for k, v in page_.items()}
    expected.update(phone="+79161234567", consent="yes")
    assert {k: stored.get(k) for k in expected} == expected
