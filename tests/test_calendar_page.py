"""The administrators' page of the working-day calendar: a one-off day a decree changed moves the due
dates counted across it (and taking it back moves them back), a year confirmed as published loses
"check by hand", and only an administrator can do either."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.cases import services as cases
from defensor.cases.models import Case, EventKind
from defensor.deadlines.models import CalendarDay, Deadline, PublishedYear
from tests.conftest import keyring_of

DECREE = "Указ Президента РФ от 02.12.2024 № 999 (пример)"


@pytest.fixture
def irina(make_user: Callable[..., User]) -> User:
    """An administrator who reads the interface in English."""
    return make_user("irina", Role.ADMIN, language="en")


@pytest.fixture
def lev(make_user: Callable[..., User]) -> User:
    """A lawyer who reads the interface in English."""
    return make_user("lev", Role.LAWYER, language="en")


def _decision(lawyer: User, on: date) -> tuple[Case, Deadline]:
    """A serviceman's case (CAS ch. 22) with a court decision: the appeal is due a month later."""
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Решение", kind="military_admin")
    event = cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DECISION,
                                 happened_on=on)
    return case, Deadline.objects.get(event=event, rule_id="kas-298")


def _section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]


def _due_on_case_page(client: Client, case: Case) -> str:
    return _section(client.get(f"/staff/cases/{case.pk}/").content.decode(), "deadlines")


@pytest.mark.django_db
def test_a_day_off_entered_on_the_page_moves_the_appeal_deadline_and_taking_it_back_restores_it(
    irina: User, lev: User, verified_client: Callable[[User], Client]
) -> None:
    case, deadline = _decision(lev, date(2024, 11, 28))
    assert deadline.due_on == date(2024, 12, 28)  # a working Saturday in 2024
    admin, lawyer = verified_client(irina), verified_client(lev)
    assert "28.12.2024" in _due_on_case_page(lawyer, case)

    response = admin.post("/staff/calendar/", {"day": "28.12.2024", "working": "off", "reason": DECREE})
    assert response.status_code == 302
    page = admin.get(response["Location"]).content.decode()
    assert "28.12.2024 is now a non-working day" in page
    entered = _section(page, "calendar-days")
    assert "28.12.2024" in entered
    assert DECREE in entered
    assert "irina" in entered
    assert "a non-working day" in entered
    # 29.12 is a Sunday, 30.12-08.01 the New Year days off: the appeal is due on 9 January.
    deadline.refresh_from_db()
    assert deadline.due_on == date(2025, 1, 9)
    due = _due_on_case_page(lawyer, case)
    assert "09.01.2025" in due
    assert "28.12.2024 is not a working day" in due
    logged = AuditEvent.objects.get(action="calendar.day_set")
    assert logged.actor_id == irina.pk
    assert logged.details["day"] == "2024-12-28"
    assert logged.details["working"] is False
    assert logged.details["recomputed"] == 1

    response = admin.post("/staff/calendar/remove/", {"day": "2024-12-28"})
    assert response.status_code == 302
    page = admin.get(response["Location"]).content.decode()
    assert "28.12.2024 was taken out of the table" in page
    assert DECREE not in _section(page, "calendar-days")
    deadline.refresh_from_db()
    assert deadline.due_on == date(2024, 12, 28)
    assert "28.12.2024" in _due_on_case_page(lawyer, case)
    removed = AuditEvent.objects.get(action="calendar.day_removed")
    assert (removed.actor_id, removed.details["day"]) == (irina.pk, "2024-12-28")


@pytest.mark.django_db
def test_a_day_changed_recomputes_only_the_due_dates_counted_across_it(
    irina: User, lev: User, verified_client: Callable[[User], Client]
) -> None:
    _case, across = _decision(lev, date(2024, 11, 28))  # due 28.12.2024: counted across the day
    _case, before = _decision(lev, date(2024, 10, 1))  # due before the day
    _case, after = _decision(lev, date(2025, 1, 10))  # started after the day
    untouched = {d.pk: (d.due_on, d.computed_at) for d in (before, after)}

    response = verified_client(irina).post("/staff/calendar/", {"day": "28.12.2024", "working": "off",
                                                                 "reason": DECREE})
    assert response.status_code == 302
    across.refresh_from_db()
    assert across.due_on == date(2025, 1, 9)
    for deadline in (before, after):
        deadline.refresh_from_db()
        assert (deadline.due_on, deadline.computed_at) == untouched[deadline.pk]
    assert AuditEvent.objects.get(action="calendar.day_set").details["recomputed"] == 1


@pytest.mark.django_db
def test_a_lawyer_can_neither_see_nor_change_the_calendar(
    irina: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    _case, deadline = _decision(anna, date(2024, 11, 28))
    entered = CalendarDay.objects.create(day=date(2024, 12, 30), working=True, reason=DECREE, added_by=irina)
    client = verified_client(anna)
    assert "/staff/calendar/" not in client.get("/staff/").content.decode()
    assert "/staff/calendar/" in verified_client(irina).get("/staff/").content.decode()
    audited = AuditEvent.objects.count()

    assert client.get("/staff/calendar/").status_code == 403
    assert client.post("/staff/calendar/", {"day": "28.12.2024", "working": "off", "reason": DECREE}
                       ).status_code == 403
    assert client.post("/staff/calendar/remove/", {"day": "2024-12-30"}).status_code == 403
    assert client.post("/staff/calendar/years/", {"year": "2030"}).status_code == 403

    assert list(CalendarDay.objects.all()) == [entered]
    assert not PublishedYear.objects.exists()
    deadline.refresh_from_db()
    assert deadline.due_on == date(2024, 12, 28)
    assert not AuditEvent.objects.filter(action__startswith="calendar.").exists()
    assert AuditEvent.objects.count() == audited


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "why"),
    [
        ({"day": "32.12.2024", "working": "off", "reason": DECREE}, "Enter a date like 25.05.2022."),
        ({"day": "", "working": "off", "reason": DECREE}, "This field is required."),
        ({"day": "01.01.1999", "working": "off", "reason": DECREE}, "Enter a date from 01.01.2000 to 31.12."),
        ({"day": "28.12.2024", "working": "off", "reason": "  "}, "Give the reason: the decree"),
        ({"day": "28.12.2024", "working": "maybe", "reason": DECREE}, "Select a valid choice."),
    ],
)
def test_a_day_with_a_mistake_is_refused_with_the_reason_and_what_was_typed_kept(
    irina: User, verified_client: Callable[[User], Client], sent: dict[str, str], why: str
) -> None:
    response = verified_client(irina).post("/staff/calendar/", sent)
    assert response.status_code == 400
    form = _section(response.content.decode(), "calendar-days").split('data-testid="calendar-day-form"', 1)[1]
    assert why in form
    if sent["reason"].strip():
        assert f'value="{sent["reason"]}"' in form
    assert not CalendarDay.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="calendar.").exists()


@pytest.mark.django_db
def test_taking_back_a_day_never_entered_or_confirming_a_year_out_of_range_is_refused(
    irina: User, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(irina)
    response = client.post("/staff/calendar/remove/", {"day": "2024-12-28"})
    assert response.status_code == 400
    assert "No one-off day was entered for 28.12.2024." in response.content.decode()
    last = timezone.localdate().year + 5
    for year in ("1999", str(last + 1)):
        response = client.post("/staff/calendar/years/", {"year": year})
        assert response.status_code == 400
        assert f"Enter a year from 2000 to {last}." in response.content.decode()
    response = client.post("/staff/calendar/years/", {"year": "next"})
    assert response.status_code == 400
    assert "Enter a year, e.g. 2027." in response.content.decode()
    assert not PublishedYear.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="calendar.").exists()


@pytest.mark.django_db
def test_confirming_a_years_calendar_removes_check_by_hand_from_its_due_dates(
    irina: User, lev: User, verified_client: Callable[[User], Client]
) -> None:
    case, deadline = _decision(lev, date(2029, 12, 17))
    assert (deadline.due_on, deadline.unpublished) == (date(2030, 1, 17), True)
    admin, lawyer = verified_client(irina), verified_client(lev)
    assert "check the date by hand" in _due_on_case_page(lawyer, case)
    row = _section(admin.get("/staff/calendar/").content.decode(), "calendar-years"
                   ).split('data-testid="calendar-year-2030"', 1)[1].split("</tr>", 1)[0]
    assert "not published" in row
    assert "<td>1</td>" in row  # one due date of the organisation says "check by hand"
    assert "Confirm as published" in row

    response = admin.post("/staff/calendar/years/", {"year": "2030"})
    assert response.status_code == 302
    page = admin.get(response["Location"]).content.decode()
    assert "The calendar of 2030 is confirmed as published" in page
    row = _section(page, "calendar-years").split('data-testid="calendar-year-2030"', 1)[1].split("</tr>", 1)[0]
    assert "confirmed by irina" in row
    assert "Confirm as published" not in row
    deadline.refresh_from_db()
    assert (deadline.due_on, deadline.unpublished) == (date(2030, 1, 17), False)
    assert "check the date by hand" not in _due_on_case_page(lawyer, case)
    logged = AuditEvent.objects.get(action="calendar.year_published")
    assert (logged.actor_id, logged.details["year"]) == (irina.pk, 2030)
    # Confirming it again changes nothing and is not logged twice.
    assert admin.post("/staff/calendar/years/", {"year": "2030"}).status_code == 302
    assert AuditEvent.objects.filter(action="calendar.year_published").count() == 1


@pytest.mark.django_db
def test_the_page_lists_the_weekdays_off_and_the_working_weekend_days_to_compare(
    irina: User, verified_client: Callable[[User], Client]
) -> None:
    year = timezone.localdate().year
    december = date(year, 12, 1)
    saturday = december + timedelta(days=(5 - december.weekday()) % 7)
    CalendarDay.objects.create(day=saturday, working=True, reason=DECREE, added_by=irina)
    page = verified_client(irina).get("/staff/calendar/").content.decode()
    preview = page.split(f'data-testid="calendar-preview-{year}"', 1)[1].split("</ul>", 1)[0]
    # 1-8 January are days off every year: each of them on a weekday is listed, and no weekend day.
    for day in (date(year, 1, n) for n in range(1, 9)):
        assert (day.strftime("%d.%m.%Y") in preview) == (day.weekday() < 5), day
    line = preview.split(saturday.strftime("%d.%m.%Y"), 1)[1].split("</li>", 1)[0]
    assert "a working day" in line
    assert f"entered here: {DECREE}" in line
    ordinary = date(year, 10, 15)  # mid-October: no holiday, no transfer
    ordinary += timedelta(days=max(0, 7 - ordinary.weekday()) if ordinary.weekday() >= 5 else 0)
    assert ordinary.strftime("%d.%m.%Y") not in preview
    assert f'data-testid="calendar-preview-{year + 1}"' in page
    # This year and the next two, each published or with a button to confirm it.
    for shown in range(year, year + 3):
        assert f'data-testid="calendar-year-{shown}"' in page
