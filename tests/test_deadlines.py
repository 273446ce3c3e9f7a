"""Deadlines counted the way the court counts them: table-driven, on the real Russian calendar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.cases.models import EventKind
from defensor.core.errors import PermissionDenied
from defensor.deadlines.calendar import WorkingCalendar
from defensor.deadlines.counting import add_months, due_date
from defensor.deadlines.rules import rule, rules
from defensor.deadlines.services import calendar_day_set

CALENDAR = WorkingCalendar()


@pytest.mark.parametrize(
    ("rule_id", "event", "due", "why"),
    [
        # 29.12.2024 is a Sunday and 30.12-08.01 are days off: the appeal period ends on 9 January.
        ("kas-298", date(2024, 11, 29), date(2025, 1, 9), "last day off, holidays after it"),
        ("gpk-321", date(2024, 11, 29), date(2025, 1, 9), "the same in civil proceedings"),
        ("tk-392", date(2025, 1, 31), date(2025, 2, 28), "no 31 February: the month's last day"),
        ("tk-392", date(2024, 1, 31), date(2024, 2, 29), "a leap year"),
        ("kas-219", date(2024, 11, 30), date(2025, 2, 28), "three months, clamped to February"),
        # 02.11.2024 was a working Saturday (moved from 30.04): a period may end on it.
        ("tk-392", date(2024, 10, 2), date(2024, 11, 2), "a working Saturday is the last day"),
        ("tk-392", date(2024, 10, 4), date(2024, 11, 5), "04.11 Unity Day, then Tuesday"),
        ("kas-318", date(2025, 6, 12), date(2025, 12, 12), "six months"),
        ("advocate-request-reply", date(2026, 11, 1), date(2026, 12, 1), "30 calendar days"),
        ("advocate-request-reply", date(2024, 12, 6), date(2025, 1, 9), "30 days end in the New Year days off"),
    ],
)
def test_due_dates(rule_id: str, event: date, due: date, why: str) -> None:
    assert due_date(rule(rule_id), event, CALENDAR).due_on == due, why


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
    ],
)
def test_a_month_ends_on_the_same_day_or_the_months_last(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_working_days_skip_weekends_and_holidays_but_count_a_working_saturday() -> None:
    five_working_days = replace(rule("kas-298"), unit="days", length=5, counting="working")
    # From Friday 27.12.2024: Sat 28.12 worked (1), 30.12-08.01 off, then 9, 10, 13, 14 January.
    assert due_date(five_working_days, date(2024, 12, 27), CALENDAR).due_on == date(2025, 1, 14)


def test_a_year_without_a_published_calendar_is_flagged() -> None:
    due = due_date(rule("kas-298"), date(2030, 3, 15), CALENDAR)
    assert due.unpublished_years == (2030,)
    assert due_date(rule("kas-298"), date(2024, 11, 29), CALENDAR).unpublished_years == ()
    # An administrator who checked the decree says it is published.
    assert due_date(rule("kas-298"), date(2030, 3, 15), WorkingCalendar(published=frozenset({2030}))
                    ).unpublished_years == ()


@pytest.mark.django_db
def test_a_day_off_declared_by_a_one_off_decree_moves_the_deadline(olga: User, anna: User) -> None:
    """The administrators' table overrides the package: the CLI uses the same calendar as the app."""
    out = StringIO()
    call_command("deadlines", "compute", "tk-392", "2025-02-17", stdout=out)
    assert out.getvalue().splitlines()[-1] == "2025-03-17"
    with pytest.raises(PermissionDenied):
        calendar_day_set(day=date(2025, 3, 17), working=False, reason="Указ (пример)", set_by=anna)
    calendar_day_set(day=date(2025, 3, 17), working=False, reason="Указ (пример)", set_by=olga)
    assert AuditEvent.objects.get(action="calendar.day_set").details == {
        "day": "2025-03-17", "working": False, "recomputed": 0}
    out = StringIO()
    call_command("deadlines", "compute", "tk-392", "2025-02-17", stdout=out)
    assert out.getvalue().splitlines()[-1] == "2025-03-18"


@pytest.mark.django_db
def test_the_cli_prints_the_date_last_and_says_what_to_verify() -> None:
    out = StringIO()
    call_command("deadlines", "compute", "kas-298", "2024-11-29", stdout=out)
    assert out.getvalue().splitlines()[-1] == "2025-01-09"
    out = StringIO()
    call_command("deadlines", "compute", "fz342-72", "2026-11-02", stdout=out)
    assert "verify with counsel" in out.getvalue()


def test_every_rule_is_complete_and_starts_from_an_event_the_team_can_record() -> None:
    kinds = set(EventKind.values)
    required = {"kas-219", "kas-298", "kas-318", "tk-392", "gpk-321", "advocate-request-reply"}
    assert required <= set(rules())
    for found in rules().values():
        assert set(found.triggers) <= kinds, found.id
        assert set(found.met_by) <= kinds, found.id
        assert found.title_ru
        assert found.title_en
        assert found.citation
    assert {r.id for r in rules().values() if r.verify} >= {"fz342-72", "upk-389.4"}


@pytest.mark.django_db
def test_changing_one_claimants_dismissal_date_moves_only_their_deadlines(anna: User) -> None:
    from defensor.cases import services as cases
    from defensor.deadlines.models import Deadline
    from defensor.people.services import person_create
    from tests.conftest import keyring_of

    keyring = keyring_of(anna)
    case = cases.case_open(opened_by=anna, keyring=keyring, title="Группа", group=True, kind="military_admin")
    events = {}
    for name in ("Гусев Андрей Ильич", "Титов Иван Петрович"):
        person = person_create(created_by=anna, keyring=keyring, full_name=name, surname=name.split()[0])
        claimant = cases.claimant_add(case=case, person=person, added_by=anna, keyring=keyring)
        events[name] = cases.case_event_add(case=case, recorded_by=anna, keyring=keyring,
                                            kind=EventKind.DISMISSAL_ORDER, happened_on=date(2024, 9, 30),
                                            claimant=claimant)
    # A serviceman's claim (CAS ch. 22): three months to challenge the dismissal, each on their own.
    # 30.12.2024 was a day off, and the New Year days off follow: the due date is 9 January.
    assert sorted(Deadline.objects.values_list("rule_id", "nominal_on", "due_on")) == [
        ("kas-219", date(2024, 12, 30), date(2025, 1, 9)), ("kas-219", date(2024, 12, 30), date(2025, 1, 9)),
    ]
    guseva = Deadline.objects.get(event=events["Гусев Андрей Ильич"])
    titova = Deadline.objects.get(event=events["Титов Иван Петрович"])
    assert guseva.due_on == date(2025, 1, 9)

    cases.case_event_update(event=events["Гусев Андрей Ильич"], edited_by=anna, keyring=keyring,
                            happened_on=date(2024, 10, 14))
    moved = Deadline.objects.get(event=events["Гусев Андрей Ильич"])
    assert (moved.claimant_id, moved.due_on) == (guseva.claimant_id, date(2025, 1, 14))
    unchanged = Deadline.objects.get(event=events["Титов Иван Петрович"])
    assert (unchanged.due_on, unchanged.computed_at) == (titova.due_on, titova.computed_at)
    event = AuditEvent.objects.get(action="case.event_changed")
    assert event.details["from"] == "2024-09-30"
    assert event.details["to"] == "2024-10-14"


@pytest.mark.django_db
def test_the_case_and_the_roster_show_each_claimants_deadlines_and_what_to_verify(
    make_user: Callable[..., User], verified_client: Callable[[User], Client]
) -> None:
    from defensor.cases import services as cases
    from defensor.people.services import person_create
    from tests.conftest import keyring_of

    lev = make_user("lev", Role.LAWYER, language="en")
    keyring = keyring_of(lev)
    # A Rosgvardia officer's service dispute: Labour Code art. 392 and 342-FZ art. 72 (unconfirmed).
    case = cases.case_open(opened_by=lev, keyring=keyring, title="Спор", group=True, kind="special_rank")
    person = person_create(created_by=lev, keyring=keyring, full_name="Гусев Андрей Ильич", surname="Гусев")
    claimant = cases.claimant_add(case=case, person=person, added_by=lev, keyring=keyring)
    today = timezone.localdate()
    cases.case_event_add(case=case, recorded_by=lev, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                         happened_on=today, claimant=claimant)
    client = verified_client(lev)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    deadlines = page.split('data-testid="deadlines"', 1)[1].split("</section>", 1)[0]
    assert deadlines.count('data-testid="deadline"') == 2
    assert "Dismissal dispute (reinstatement claim)" in deadlines
    assert "verify with counsel" in deadlines  # 342-FZ art. 72, and only that one
    assert deadlines.count("verify with counsel") == 1
    assert "Гусев Андрей Ильич" in deadlines
    roster = client.get(f"/staff/cases/{case.pk}/roster/").content.decode()
    cell = roster.split('data-testid="roster-next-deadline">', 1)[1].split("</td>", 1)[0]
    # Named by its law, as the team reads it, not by the rule's id.
    assert "ФЗ, ст. 72 ч. 4" in cell or "ТК РФ, ст. 392 ч. 1" in cell
    assert "fz342-72" not in cell
    assert "tk-392" not in cell


@pytest.mark.django_db
def test_correcting_an_event_date_on_the_case_page_moves_its_deadline(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    from defensor.cases import services as cases
    from defensor.deadlines.models import Deadline
    from tests.conftest import keyring_of

    keyring = keyring_of(anna)
    case = cases.case_open(opened_by=anna, keyring=keyring, title="Решение", kind="military_admin")
    other = cases.case_open(opened_by=anna, keyring=keyring, title="Другое", kind="military_admin")
    decision = cases.case_event_add(case=case, recorded_by=anna, keyring=keyring, kind=EventKind.DECISION,
                                    happened_on=date(2024, 11, 28))
    assert Deadline.objects.get(event=decision).due_on == date(2024, 12, 28)  # a working Saturday
    client = verified_client(anna)
    response = client.post(f"/staff/cases/{case.pk}/events/{decision.pk}/date/", {"happened_on": "29.11.2024"})
    assert response.status_code == 302
    assert Deadline.objects.get(event=decision).due_on == date(2025, 1, 9)
    # An event of another case, through this case's address: not found, nothing moved.
    assert client.post(f"/staff/cases/{other.pk}/events/{decision.pk}/date/",
                       {"happened_on": "2024-10-01"}).status_code == 404
    assert Deadline.objects.get(event=decision).due_on == date(2025, 1, 9)


def test_a_server_with_a_russian_locale_still_knows_which_years_are_published(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The package names days off in the server's language; "published" must not depend on it."""
    from defensor.deadlines import calendar as working_calendar

    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    monkeypatch.setenv("LANGUAGE", "ru")
    working_calendar._package_year.cache_clear()
    try:
        # 2023 and 2026 moved days off but made no Saturday a working day: only the names tell.
        assert WorkingCalendar().is_published(2023)
        assert WorkingCalendar().is_published(2026)
        assert not WorkingCalendar().is_published(2030)
    finally:
        working_calendar._package_year.cache_clear()


@pytest.mark.django_db
def test_a_conversation_leaves_the_due_dates_alone_and_a_change_of_kind_recomputes_and_settles_them(
    anna: User,
) -> None:
    from defensor.cases import services as cases
    from defensor.deadlines.models import Deadline
    from tests.conftest import keyring_of

    keyring = keyring_of(anna)
    case = cases.case_open(opened_by=anna, keyring=keyring, title="Решение", kind="military_admin")
    decision = cases.case_event_add(case=case, recorded_by=anna, keyring=keyring, kind=EventKind.DECISION,
                                    happened_on=date(2024, 11, 28))
    appeal = cases.case_event_add(case=case, recorded_by=anna, keyring=keyring, kind=EventKind.APPEAL,
                                  happened_on=date(2024, 12, 10))
    due = Deadline.objects.get(event=decision, rule_id="kas-298")
    assert (due.met_on, due.met_event_id) == (date(2024, 12, 10), appeal.pk)

    contact = cases.case_event_add(case=case, recorded_by=anna, keyring=keyring, kind=EventKind.CONTACT,
                                   happened_on=date(2024, 12, 11))
    assert not Deadline.objects.filter(event=contact).exists()
    after = Deadline.objects.get(pk=due.pk)
    assert (after.due_on, after.met_on, after.met_event_id, after.computed_at) == (
        due.due_on, due.met_on, due.met_event_id, due.computed_at)

    def kind_set(kind: str) -> None:
        current = type(case).objects.get(pk=case.pk)
        cases.case_update(case=current, edited_by=anna, keyring=keyring, version=current.version, title="Решение",
                          summary="", kind=kind, stage=current.stage, outcome=current.outcome, court="",
                          court_number="", group=False)

    kind_set("other")  # no rule set: no due dates
    assert not Deadline.objects.filter(case=case).exists()
    kind_set("military_admin")  # back: the appeal period again, met by the appeal lodged
    again = Deadline.objects.get(event=decision, rule_id="kas-298")
    assert (again.due_on, again.met_on, again.met_event_id) == (due.due_on, date(2024, 12, 10), appeal.pk)
