"""Deadlines counted the way the court counts them: table-driven, on the real Russian calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from defensor.accounts.models import User
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
    assert AuditEvent.objects.get(action="calendar.day_set").details == {"day": "2025-03-17", "working": False}
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
        assert found.title_ru
        assert found.title_en
        assert found.citation
    assert {r.id for r in rules().values() if r.verify} >= {"fz342-72", "upk-389.4"}
