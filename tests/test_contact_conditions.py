"""Contact safety: what the person said about being contacted (leave messages, say who we are,
safe times) is shown in their terms beside every reply and contact action, with a warning where
contacting them needs care."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.intake.models import Submission
from tests.test_browser import SCREENSHOTS, browser  # noqa: F401 (the chromium fixture)

pytestmark = pytest.mark.django_db
MakeSubmission = Callable[..., Submission]

UNSAFE = {"contact_methods": ["call"], "safe_to_leave_messages": "no", "safe_time": "после 19:00"}


def _block(page: str) -> str:
    """The contact conditions block, as text without tags."""
    found = re.search(r'<div class="contact-conditions[^"]*" data-testid="contact-conditions">(.*?)</div>', page, re.S)
    assert found, "no contact conditions on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def _reply_section(page: str) -> str:
    """From the reply heading to the reply form's button: what a team member sees as they answer."""
    start = page.index("<h3>Ответ</h3>") if "<h3>Ответ</h3>" in page else page.index("<h3>Reply</h3>")
    return page[start:page.index('type="submit" class="primary"', start)]


def test_a_request_that_says_no_messages_shows_their_words_and_a_warning_beside_the_reply(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(**UNSAFE)
    page = verified_client(anna).get(f"/staff/inbox/{submission.pk}/").content.decode()
    section = _reply_section(page)
    assert 'data-testid="contact-conditions"' in section  # beside the prepared replies and the form
    assert section.index("contact-conditions") < section.index("Начать с готового ответа")
    said = _block(section)
    assert "Оставлять сообщения нет" in said
    assert "Говорить, кто мы нет" in said
    assert "Безопасное время после 19:00" in said
    assert "Звонок по телефону" in said
    assert "не связываться" not in page
    assert "Не оставляйте сообщений и не называйте нас" in section  # the warning, before the button
    assert 'data-testid="reply-warning"' in section
    # Reading the request is still an audited read.
    assert AuditEvent.objects.filter(action="submission.read", actor=anna).count() == 1


def test_a_reader_with_an_english_workspace_reads_the_same_conditions_in_english(
    make_user: Callable[..., User], make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    # boris (a volunteer) may not open requests at all; an English-speaking paralegal may.
    ben = make_user("ben", Role.PARALEGAL, language="en")
    submission = make_submission(**UNSAFE)
    section = _reply_section(verified_client(ben).get(f"/staff/inbox/{submission.pk}/").content.decode())
    said = _block(section)
    assert "Leave messages no" in said
    assert "Say who we are no" in said
    assert "Safe times после 19:00" in said
    assert "Phone call" in said
    assert "They said it is not safe to leave messages or say who we are." in section


def test_a_request_that_allows_everything_shows_yes_and_no_warning(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(contact_methods=["call"], safe_to_leave_messages="yes", safe_time="в любое время")
    page = verified_client(anna).get(f"/staff/inbox/{submission.pk}/").content.decode()
    said = _block(_reply_section(page))
    assert "Оставлять сообщения да" in said
    assert "Говорить, кто мы да" in said
    assert "в любое время" in said
    assert 'data-testid="contact-warning"' not in page
    assert 'data-testid="reply-warning"' not in page


def test_a_request_for_replies_on_the_site_only_warns_against_any_other_contact(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(contact_methods=["site_only"], phone=None, safe_time=None)
    page = verified_client(anna).get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert "только ответы на этом сайте" in _block(_reply_section(page))
    assert "не звоните и не пишите ему иначе" in page


def test_the_person_and_claimant_pages_say_what_the_person_said_and_warn_until_the_team_corrects_it(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    from defensor.cases.models import Claimant
    from defensor.people.models import Handle

    submission = make_submission(**UNSAFE)
    client = verified_client(anna)
    client.post(f"/staff/inbox/{submission.pk}/accept/", {"person": "new", "case": "new", "case_kind": "special_rank"})
    claimant = Claimant.objects.get()
    person_url = f"/staff/people/{claimant.person_id}/"
    page = client.get(person_url).content.decode()
    assert "не связываться" not in page
    assert "Оставлять сообщения и говорить, кто мы" in page  # the column says what the answer was about
    assert re.search(r'data-testid="handle-leave-messages"><strong>нет</strong>', page)
    said = _block(page)
    assert "Оставлять сообщения нет" in said
    assert "Говорить, кто мы нет" in said
    assert "после 19:00" in said
    assert 'data-testid="contact-warning"' in page

    claimant_page = client.get(f"/staff/cases/{claimant.case_id}/claimants/{claimant.pk}/").content.decode()
    event_form = claimant_page[claimant_page.index("Записать событие только по нему"):]
    assert "Говорить, кто мы нет" in _block(event_form)  # beside the form that records a contact
    assert "Не оставляйте сообщений и не называйте нас" in event_form

    # The person later tells the team messages are fine: the flag is corrected, the warning goes.
    handle = Handle.objects.get()
    client.post(f"/staff/people/handles/{handle.pk}/safety/", {"safe_to_contact": "1", "safe_times": "после 19:00"})
    page = client.get(person_url).content.decode()
    assert "Оставлять сообщения да" in _block(page)
    assert 'data-testid="contact-warning"' not in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_the_conditions_and_warning_fit_a_phone_screen_beside_the_reply(
    browser: Any, live_server: Any, viewport: dict[str, int], anna: User, make_submission: MakeSubmission,  # noqa: F811
    verified_client: Callable[[User], Client],
) -> None:
    submission = make_submission(**UNSAFE)
    client = verified_client(anna)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="ru-RU")
    context.add_cookies([{"name": name, "value": morsel.value, "domain": host, "path": morsel["path"] or "/"}
                         for name, morsel in client.cookies.items()])
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/inbox/{submission.pk}/")
    conditions = page.locator('[data-testid="contact-conditions"]')
    assert "после 19:00" in conditions.inner_text()
    assert page.locator('[data-testid="contact-warning"]').is_visible()
    box = conditions.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= viewport["width"]
    shots = SCREENSHOTS / str(viewport["width"])
    shots.mkdir(parents=True, exist_ok=True)
    conditions.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "request-contact-conditions.png"), full_page=True)
    page.locator("section.card", has=page.locator("#reply")).screenshot(path=str(shots / "request-reply-card.png"))
    context.close()
