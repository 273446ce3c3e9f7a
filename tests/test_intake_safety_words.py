"""Safety words where a frightened person on Tor Browser needs them (issue 19, item 5): advice before
starting, "your answers are kept — press Send again" when the service is busy, the request's state
in plain words without the team's verdict, and a receipt typed back without showing it."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from defensor.accounts.models import User
from defensor.intake import services
from defensor.intake.models import Status, Submission
from tests.conftest import keyring_of
from tests.intake_visitor import DEFAULT_ANSWERS, IntakeVisitor
from tests.test_browser import browser  # noqa: F401 - the chromium fixture

pytestmark = pytest.mark.django_db

SHOTS = Path("/tmp/shots-W")  # noqa: S108 - the brief's fixed place for the screenshots looked at

ADVICE = {
    "ru": ["Прежде чем начать", "Tor Browser", "самом высоком уровне безопасности", "не нужен JavaScript",
           "torproject.org", "который никто не проверяет", "очистите историю браузера",
           "нажмите «Быстро уйти с сайта»"],
    "en": ["Before you start", "Tor Browser", "“Safest” security level", "needs no JavaScript", "torproject.org",
           "no one else checks", "clear the browser history", "press “Leave this site quickly”"],
}


def _text(page: str) -> str:
    """What a person reads: the page without tags, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _client(language: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_landing_page_gives_short_safety_advice_before_starting(language: str) -> None:
    page = _client(language).get("/").content.decode()
    text = _text(page)
    for words in ADVICE[language]:
        assert words in text
    # The advice names the Tor Project's address as text: the only link that leaves the site is the quick exit.
    external = re.findall(r'(?:src|href|action)="(https?://[^"]+)"', page)
    assert external == [settings.DEFENSOR_QUICK_EXIT_URL]
    assert text.index(ADVICE[language][0]) < text.index("Написать юристам" if language == "ru" else "Write to the")


@pytest.mark.parametrize(("language", "kept", "send"), [
    ("ru", "Ваши ответы сохранены на этой странице — нажмите «Отправить» ещё раз", "Отправить"),
    ("en", "Your answers are kept on this page — press “Send” again", "Send"),
])
def test_when_the_service_is_busy_the_answers_are_kept_and_send_again_sends_them(
    anna: User, settings: Any, language: str, kept: str, send: str
) -> None:
    settings.DEFENSOR_INTAKE_MAX_PER_MINUTE = 1
    first = IntakeVisitor(language=language)
    first.start()
    first.fill_all()
    first.submit()

    person = IntakeVisitor(language=language)
    person.start()
    person.fill_all()
    person.post({}, action="submit")
    assert person.status == 503
    text = _text(person.page)
    assert kept in text
    assert re.search(r"<title>(Не отправлено|Not sent yet)", person.page)
    # The answers are in the page itself, shown back to the person, and the button says what to press.
    assert DEFAULT_ANSWERS["after"]["dismissal_order_number"] in text
    assert re.search(rf'<button[^>]*value="submit"[^>]*>\s*{send}\s*<', person.page)
    assert Submission.objects.count() == 1

    settings.DEFENSOR_INTAKE_MAX_PER_MINUTE = 0
    receipt = person.submit()  # the same page's Send, pressed again
    submission = services.submission_by_receipt(receipt)
    assert submission is not None
    assert Submission.objects.count() == 2
    answers = services.submission_answers(submission=submission, keyring=keyring_of(anna))
    assert answers["dismissal_order_number"] == DEFAULT_ANSWERS["after"]["dismissal_order_number"]


def test_when_the_disk_is_low_the_same_page_says_why_and_keeps_the_answers(anna: User, settings: Any) -> None:
    person = IntakeVisitor()
    person.start()
    person.fill_all()
    settings.DEFENSOR_DISK_FLOOR_BYTES = 1 << 60  # more than any disk has free
    person.post({}, action="submit")
    assert person.status == 503
    text = _text(person.page)
    assert "Ваши ответы сохранены на этой странице — нажмите «Отправить» ещё раз" in text
    assert "Сервис сейчас перегружен" in text  # the reason, in the person's words
    settings.DEFENSOR_DISK_FLOOR_BYTES = 0
    assert person.submit()
    assert Submission.objects.count() == 1


def _status_text(receipt: str, language: str = "ru") -> str:
    response = _client(language).post("/receipt/", {"receipt": receipt})
    assert response.status_code == 200
    return _text(response.content.decode())


def _progress(text: str) -> str:
    for words in ("Получено.", "В работе.", "Есть ответ.", "Received.", "Being worked on.", "Answered."):
        if words in text:
            return words
    raise AssertionError("no state shown")


def test_the_status_page_says_received_worked_on_or_answered_and_never_the_teams_verdict(anna: User) -> None:
    person = IntakeVisitor()
    person.start()
    person.fill_all()
    receipt = person.submit()
    submission = services.submission_by_receipt(receipt)
    assert submission is not None

    text = _status_text(receipt)
    assert _progress(text) == "Получено."  # the automatic acknowledgement is not an answer
    assert "Быстро уйти с сайта" in text

    # Marked as spam, or rejected, with no reply: the person (or whoever forced the phrase out of
    # them) reads only that it was received — no verdict to alarm or inform.
    for verdict in (Status.SPAM, Status.NEW, Status.REJECTED):  # spam, taken back, then rejected
        services.submission_status_set(submission=submission, status=verdict, changed_by=anna)
        text = _status_text(receipt)
        assert _progress(text) == "Получено."
        for word in ("спам", "отклон", "отказ", "spam", "reject"):
            assert word not in text.lower()

    # A lawyer takes it up: being worked on; who handles it is never named.
    services.submission_status_set(submission=submission, status=Status.IN_REVIEW, changed_by=anna)
    services.submission_assign(submission=submission, assignee=anna, assigned_by=anna)
    text = _status_text(receipt)
    assert _progress(text) == "В работе."
    assert "anna" not in text.lower()
    assert _progress(_status_text(receipt, "en")) == "Being worked on."

    services.reply_send(submission=submission, author=anna, keyring=keyring_of(anna), text="Позвоним в четверг.")
    text = _status_text(receipt)
    assert _progress(text) == "Есть ответ."
    assert "Позвоним в четверг." in text
    assert _progress(_status_text(receipt, "en")) == "Answered."

    # The person writes back: the latest word is theirs, so the request is being worked on again.
    _client("ru").post("/receipt/message/", {"receipt": receipt, "text": "Лучше в пятницу."})
    assert _progress(_status_text(receipt)) == "В работе."


def test_a_message_refused_for_room_is_kept_on_the_status_page_to_send_again(anna: User, settings: Any) -> None:
    person = IntakeVisitor()
    person.start()
    person.fill_all()
    receipt = person.submit()
    settings.DEFENSOR_DISK_FLOOR_BYTES = 1 << 60  # more than any disk has free
    refused = _client("ru").post("/receipt/message/", {"receipt": receipt, "text": "Лучше в пятницу."})
    assert refused.status_code == 503
    page = refused.content.decode()
    assert "Ваше сообщение пока не отправлено. Написанное сохранено ниже" in _text(page)
    assert re.search(r"<textarea[^>]*>\s*Лучше в пятницу.</textarea>", page)
    assert _progress(_text(page)) == "Получено."


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_receipt_is_typed_back_hidden_and_shown_only_on_request(anna: User, language: str) -> None:
    person = IntakeVisitor(language=language)
    person.start()
    person.fill_all()
    receipt = person.submit()
    written = "away from this phone or computer" if language == "en" else "а не в этом телефоне или компьютере"
    assert written in _text(person.page)

    client = _client(language)
    form = client.get("/receipt/").content.decode()
    field = re.search(r"<input[^>]*name=\"receipt\"[^>]*>", form)
    assert field is not None
    for attribute in ('type="password"', 'autocomplete="off"', 'spellcheck="false"', 'autocapitalize="none"'):
        assert attribute in field.group(0)
    show, hide = ("Показать введённое", "Скрыть введённое") if language == "ru" else ("Show what I typed",
                                                                                       "Hide what I typed")
    # The primary action comes first, so Enter in the field opens the request, never "Show".
    buttons = re.findall(r'<button type="submit" name="action" value="(\w+)"', form)
    assert buttons == ["open", "show"]

    typed = receipt.upper()
    shown = client.post("/receipt/", {"receipt": typed, "action": "show"}).content.decode()
    field = re.search(r"<input[^>]*name=\"receipt\"[^>]*>", shown)
    assert field is not None
    assert 'type="text"' in field.group(0)
    assert f'value="{typed}"' in field.group(0)
    assert hide in _text(shown)
    assert "Юристы ответили" not in shown  # nothing opened yet
    assert "The legal team has replied" not in shown

    hidden = client.post("/receipt/", {"receipt": typed, "action": "hide", "shown": "1"}).content.decode()
    field = re.search(r"<input[^>]*name=\"receipt\"[^>]*>", hidden)
    assert field is not None
    assert 'type="password"' in field.group(0)
    assert show in _text(hidden)

    # Opened from the shown field (Enter presses "Open"): the status page.
    opened = client.post("/receipt/", {"receipt": typed, "shown": "1", "action": "open"})
    assert opened.status_code == 200
    assert _progress(_text(opened.content.decode()))

    # A wrong phrase comes back masked, as typed, to check with "Show" rather than type it all again.
    wrong = client.post("/receipt/", {"receipt": "не та фраза совсем", "action": "open"})
    assert wrong.status_code == 400
    field = re.search(r"<input[^>]*name=\"receipt\"[^>]*>", wrong.content.decode())
    assert field is not None
    assert 'type="password"' in field.group(0)


@pytest.mark.django_db(transaction=True)
def test_safety_words_at_phone_size_without_javascript(
    browser: Any, live_server: Any, anna: User, settings: Any  # noqa: F811
) -> None:
    """Screenshots at 390×844 with scripts off, under /tmp/shots-W/: landing, the busy page and its
    second Send, the receipt, the hidden and shown receipt field, the status page."""
    from tests.test_intake_browser import _fill_page, _shows

    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    _shows(page, "Прежде чем начать")
    page.screenshot(path=str(SHOTS / "landing.png"), full_page=True)

    page.click("text=Написать юристам")
    flat = {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}
    for _ in range(12):
        if page.locator("button[value=submit]").count():
            break
        _fill_page(page, flat)
        page.click("button[value=next]")
    settings.DEFENSOR_DISK_FLOOR_BYTES = 1 << 60  # the service is busy now
    with page.expect_response(lambda response: response.url.endswith("/request/")) as answered:
        page.click("button[value=submit]")
    assert answered.value.status == 503
    _shows(page, "Ваши ответы сохранены на этой странице")
    page.screenshot(path=str(SHOTS / "try-again.png"), full_page=True)
    settings.DEFENSOR_DISK_FLOOR_BYTES = 0
    page.click("button[value=submit]")
    receipt = page.locator("[data-testid=receipt]").inner_text().strip()
    page.screenshot(path=str(SHOTS / "receipt.png"), full_page=True)

    page.goto(f"{live_server.url}/receipt/")
    page.fill("input[name=receipt]", receipt)
    assert page.get_attribute("input[name=receipt]", "type") == "password"
    page.screenshot(path=str(SHOTS / "receipt-hidden.png"), full_page=True)
    page.click("button[value=show]")
    _shows(page, "Скрыть введённое")
    assert page.get_attribute("input[name=receipt]", "type") == "text"
    assert page.input_value("input[name=receipt]") == receipt
    page.screenshot(path=str(SHOTS / "receipt-shown.png"), full_page=True)
    page.press("input[name=receipt]", "Enter")  # Enter opens the request
    _shows(page, "Получено.")

    submission = services.submission_by_receipt(receipt)
    assert submission is not None
    services.reply_send(submission=submission, author=anna, keyring=keyring_of(anna), text="Позвоним в четверг.")
    page.goto(f"{live_server.url}/receipt/")
    page.fill("input[name=receipt]", receipt)
    page.press("input[name=receipt]", "Enter")
    _shows(page, "Есть ответ.")
    assert page.locator("a.quick-exit").is_visible()
    page.screenshot(path=str(SHOTS / "status.png"), full_page=True)
    context.close()
