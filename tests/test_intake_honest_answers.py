"""Honest answers (issue 19, item 4): «Не знаю / не помню» on factual yes/no questions, and dates
given as a person remembers them — a month and a year, a year, or "roughly" — kept as such from
the form to the lawyer's page and into the case, where deadlines count from the earliest day."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.cases.models import CaseEvent, CaseKind, Claimant, EventKind
from defensor.deadlines.models import Deadline
from defensor.intake import services
from defensor.intake.models import Submission, Urgency
from defensor.intake.urgency import assess
from tests.conftest import keyring_of
from tests.intake_visitor import IntakeVisitor

pytestmark = pytest.mark.django_db

# The three pages of the default questionnaire, answered the way a person who does not remember
# everything would: where they were sent, they do not know; the dismissal order came "in March 2022".
ABOUT = {"service_category": "contract", "force": "army", "order_description": "Приказали ехать, не сказали куда.",
         "order_date_day": "", "order_date_month": "2", "order_date_year": "2022",
         "told_destination": "unknown", "briefed_on_tasks": "no", "consented": "no"}
AFTER = {"refusal_method": "in_writing", "refusal_date": "24.02.2022", "dismissed": "yes",
         "dismissal_order_date_day": "", "dismissal_order_date_month": "3", "dismissal_order_date_year": "2022",
         "dismissal_order_date_approximate": "yes", "disciplinary_action": "unknown"}
CONTACT = {"contact_methods": ["site_only"], "consent": "on"}


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def _send(visitor: IntakeVisitor, *pages: dict[str, Any]) -> str:
    """The person answers each page, reads the review, sends; the review page is returned."""
    visitor.start()
    for answers in pages:
        visitor.post(answers)
        assert visitor.status == 200, _text(visitor.page)[:600]
    review = visitor.page
    visitor.post({}, action="submit")
    assert visitor.status == 200
    return review


def _received(anna: User) -> dict[str, Any]:
    submission = Submission.objects.get()
    return dict(services.submission_answers(submission=submission, keyring=keyring_of(anna)))


def test_a_person_who_does_not_remember_says_so_and_the_lawyer_reads_it_as_such(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    visitor = IntakeVisitor(language="ru")
    visitor.start()
    first = visitor.page
    # A factual yes/no offers a third answer; a date is a day, a month and a year, with «Примерно».
    assert re.search(r'name="told_destination" value="unknown"[^>]*> Не знаю / не помню', first)
    assert 'name="service_category" value="unknown"' not in first
    assert 'type="date"' not in first
    assert re.search(r'<legend class="label">Когда вам отдали приказ\?', first) or "order_date_day" in first
    for name in ("order_date_day", "order_date_month", "order_date_year", "order_date_approximate"):
        assert f'name="{name}"' in first
    assert 'name="birth_date_approximate"' not in first  # the birth date is asked exactly
    assert "Примерно — точно не помню" in first
    assert '<option value="3">Март</option>' in first

    review = _send(visitor, ABOUT, AFTER, CONTACT)
    shown = _text(review)
    assert "Не знаю / не помню" in shown
    assert "≈ 03.2022 (примерно)" in shown
    assert "≈ 02.2022 (примерно)" in shown  # a month and a year alone are rough without the box
    assert "24.02.2022" in shown
    assert "≈ 24.02.2022" not in shown
    answers = _received(anna)
    assert answers["told_destination"] == "unknown"
    assert answers["dismissal_order_date"] == "2022-03"
    assert answers["dismissal_order_date_approximate"] == "yes"
    assert answers["order_date"] == "2022-02"
    assert "order_date_approximate" not in answers
    assert "refusal_date_approximate" not in answers

    submission = Submission.objects.get()
    client = verified_client(anna)  # anna reads Russian
    request_page = _text(client.get(f"/staff/inbox/{submission.pk}/").content.decode())
    assert "Вам сказали, куда именно вас отправляют? Не знаю / не помню" in request_page
    assert "Дата приказа об увольнении ≈ 03.2022 (примерно)" in request_page


def test_a_rough_dismissal_date_reaches_the_case_as_its_earliest_day_marked_approximate(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    _send(IntakeVisitor(language="ru"), ABOUT, AFTER, CONTACT)
    submission = Submission.objects.get()
    # Dismissed in March 2022 (a contract serviceman: three months) counts from 1 March.
    assert submission.respond_by == date(2022, 6, 1)
    client = verified_client(anna)
    done = client.post(f"/staff/inbox/{submission.pk}/accept/",
                       {"person": "new", "case": "new", "case_kind": CaseKind.MILITARY_ADMIN}, follow=True)
    assert done.status_code == 200
    event = CaseEvent.objects.get(kind=EventKind.DISMISSAL_ORDER)
    assert (event.happened_on, event.approximate) == (date(2022, 3, 1), True)
    assert "≈ 01.03.2022" in done.content.decode()
    deadlines = Deadline.objects.filter(event=event)
    assert deadlines.exists()
    case_page = client.get(f"/staff/cases/{event.case_id}/").content.decode()
    assert 'data-testid="deadline-approximate"' in case_page
    assert "≈01.03.2022" in _text(case_page).replace("≈ ", "≈")
    claimant = Claimant.objects.get(case_id=event.case_id)
    claimant_page = client.get(f"/staff/cases/{event.case_id}/claimants/{claimant.pk}/").content.decode()
    dismissal = re.search(r'data-testid="claimant-dismissal">(.*?)</dd>', claimant_page, re.S)
    assert dismissal is not None
    assert "≈" in dismissal.group(1)
    assert "01.03.2022" in dismissal.group(1)
    # The lawyer's list of deadlines says they count from a rough date.
    assert 'data-testid="due-approximate"' in client.get("/staff/").content.decode()


@pytest.mark.parametrize(("language", "typed", "says"), [
    ("ru", {"order_date_day": "15", "order_date_month": "", "order_date_year": "2022"}, "Выберите месяц"),
    ("ru", {"order_date_day": "31", "order_date_month": "2", "order_date_year": "2022"}, "нет такого дня"),
    ("ru", {"order_date_day": "", "order_date_month": "2", "order_date_year": "1900"}, "Проверьте год"),
    ("ru", {"order_date_day": "пя", "order_date_month": "2", "order_date_year": "2022"}, "цифрами"),
    ("ru", {"order_date_day": "", "order_date_month": "2", "order_date_year": ""}, "Напишите год"),
    ("en", {"order_date_day": "31", "order_date_month": "2", "order_date_year": "2022"}, "This month has no such day"),
    ("en", {"order_date_day": "x", "order_date_month": "", "order_date_year": "2022"}, "in figures"),
])
def test_a_date_that_cannot_be_is_refused_in_the_persons_language_keeping_each_part(
    language: str, typed: dict[str, str], says: str
) -> None:
    visitor = IntakeVisitor(language=language)
    visitor.start()
    visitor.post({**ABOUT, **typed, "order_date_approximate": "yes"})
    assert visitor.status == 400
    page = visitor.page
    assert says in _text(page)
    # The summary's link goes to the date's first part, the day, which is marked and described.
    assert 'href="#id_order_date"' in page
    day = re.search(r'<input [^>]*name="order_date_day"[^>]*>', page)
    assert day is not None
    assert 'id="id_order_date"' in day.group(0)
    assert 'aria-invalid="true"' in day.group(0)
    assert "id_order_date_error" in day.group(0)
    assert f'value="{typed["order_date_day"]}"' in day.group(0)
    assert f'name="order_date_year" value="{typed["order_date_year"]}"' in page
    if typed["order_date_month"]:
        month = {"ru": "Февраль", "en": "February"}[language]
        assert f'<option value="{typed["order_date_month"]}" selected>{month}</option>' in page
    assert re.search(r'name="order_date_approximate" value="yes" id="id_order_date_approximate" checked', page)
    # A person opening the form afterwards gets empty parts (the first page's markup is shared).
    fresh = IntakeVisitor(language=language)
    fresh.start()
    assert 'name="order_date_year" value=""' in fresh.page
    assert "checked" not in re.search(r'<input type="checkbox" name="order_date_approximate"[^>]*>',
                                      fresh.page).group(0)  # type: ignore[union-attr]


def test_a_birth_date_needs_the_day_month_and_year(anna: User) -> None:
    visitor = IntakeVisitor(language="ru")
    visitor.start()
    visitor.post({**ABOUT, "birth_date_month": "5", "birth_date_year": "1990"})
    assert visitor.status == 400
    assert "Укажите день, месяц и год" in _text(visitor.page)
    visitor.post({**ABOUT, "birth_date": "1990"})  # as one value, too
    assert visitor.status == 400
    visitor.post({**ABOUT, "birth_date_day": "25", "birth_date_month": "5", "birth_date_year": "1990"})
    assert visitor.status == 200
    visitor.post(AFTER)
    visitor.post(CONTACT)
    visitor.post({}, action="submit")
    assert _received(anna)["birth_date"] == "1990-05-25"


@pytest.mark.parametrize(("typed", "stored"), [
    ("20.02.2022", "2022-02-20"), ("2022-02-20", "2022-02-20"), ("03.2022", "2022-03"), ("2022-03", "2022-03"),
    ("2022", "2022"),
])
def test_one_typed_value_is_still_read(anna: User, typed: str, stored: str) -> None:
    """Tests and the hotline's typist post a date as one value."""
    about = {k: v for k, v in ABOUT.items() if not k.startswith("order_date")}
    _send(IntakeVisitor(language="ru"), {**about, "order_date": typed}, AFTER, CONTACT)
    assert _received(anna)["order_date"] == stored


def test_roughly_unticked_on_a_second_look_is_no_longer_rough(anna: User) -> None:
    visitor = IntakeVisitor(language="ru")
    visitor.start()
    visitor.post(ABOUT)
    rough = {**AFTER, "dismissal_order_date_day": "15"}
    visitor.post(rough)
    visitor.post(CONTACT)
    assert "≈ 15.03.2022 (примерно)" in _text(visitor.page)
    visitor.post({}, action="edit:after")
    page = visitor.page
    assert 'name="dismissal_order_date_day" value="15"' in page
    assert re.search(r'name="dismissal_order_date_approximate" value="yes" id="[^"]+" checked', page)
    exact = {k: v for k, v in rough.items() if k != "dismissal_order_date_approximate"}
    visitor.post(exact)
    for _ in range(2):  # back to the review
        if 'value="submit"' in visitor.page:
            break
        visitor.post(CONTACT)
    shown = _text(visitor.page)
    assert "15.03.2022" in shown
    assert "≈ 15.03.2022" not in shown
    visitor.post({}, action="submit")
    assert "dismissal_order_date_approximate" not in _received(anna)


def test_not_knowing_whether_one_was_dismissed_is_no_less_urgent_than_a_dismissal_without_a_date() -> None:
    today = date(2026, 12, 2)
    unknown = assess({"dismissed": "unknown"}, today=today)
    undated = assess({"dismissed": "yes"}, today=today)
    assert unknown.level == undated.level == Urgency.SOON
    assert "dismissal_date_unknown" in unknown.reasons
    assert assess({"dismissed": "no"}, today=today).level == Urgency.NORMAL
    # A month given roughly counts from its first day; an order "in November" may be days old.
    rough = assess({"dismissed": "yes", "dismissal_order_date": "2026-11", "service_category": "special_rank"},
                   today=today)
    assert rough.respond_by == date(2026, 12, 1)
    assert rough.level == Urgency.CRITICAL
    assert assess({"order_date": "2026-11"}, today=today).level == Urgency.URGENT
    assert assess({"order_date": "2026-10"}, today=today).level == Urgency.NORMAL


def test_the_hotline_takes_a_rough_date_and_an_unknown(
    anna: User, boris: User, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(boris)
    form = client.get("/staff/hotline/").content.decode()
    assert 'name="after-dismissal_order_date_month"' in form
    assert "I don&#x27;t know / don&#x27;t remember" in form or "I don't know / don't remember" in form
    data: dict[str, Any] = {"language": "ru"}
    for step, answers in (("about", ABOUT), ("after", AFTER), ("contact", CONTACT)):
        data.update({f"{step}-{k}": v for k, v in answers.items()})
    page = client.post("/staff/hotline/", data)
    assert page.status_code == 200, _text(page.content.decode())[:800]
    answers = _received(anna)
    assert (answers["dismissal_order_date"], answers["dismissal_order_date_approximate"]) == ("2022-03", "yes")
    assert answers["told_destination"] == "unknown"
