"""Writes to the working-day calendar's own table (administrators, calendar.manage), audited."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case, CaseEvent
from defensor.deadlines.calendar import WorkingCalendar, calendar_from_database
from defensor.deadlines.counting import due_date
from defensor.deadlines.models import CalendarDay, Deadline, PublishedYear
from defensor.deadlines.rules import rules_for


@transaction.atomic
def calendar_day_set(*, day: date, working: bool, reason: str, set_by: User) -> CalendarDay:
    """Declare a date a non-working day (or a working one), as a decree the package does not know did."""
    require_permission(set_by, Perm.CALENDAR_MANAGE)
    entry, _ = CalendarDay.objects.update_or_create(
        day=day, defaults={"working": working, "reason": reason.strip(), "added_by": set_by}
    )
    log_action(action="calendar.day_set", actor=set_by, target=entry,
               details={"day": day.isoformat(), "working": working})
    return entry


@transaction.atomic
def published_year_confirm(*, year: int, confirmed_by: User) -> PublishedYear:
    """An administrator checked that the year's production calendar is published (and entered any
    transfer the package lacks as calendar days)."""
    require_permission(confirmed_by, Perm.CALENDAR_MANAGE)
    entry, _ = PublishedYear.objects.get_or_create(year=year, defaults={"added_by": confirmed_by})
    log_action(action="calendar.year_published", actor=confirmed_by, target=entry, details={"year": year})
    return entry


def event_deadlines_recompute(*, event: CaseEvent, working: WorkingCalendar | None = None) -> list[Deadline]:
    """The due dates an event starts, under the rule set of its case's kind: computed again from
    scratch (the caller's transaction; its audit event records the change of the event)."""
    from defensor.cases.procedures import procedure_for

    Deadline.objects.filter(event=event).delete()
    rule_set = procedure_for(event.case.kind).deadline_rules
    if not rule_set:
        return []
    working = working or calendar_from_database()
    made = []
    for found in rules_for(rule_set, event.kind):
        if not found.in_force_on(event.happened_on):
            continue
        due = due_date(found, event.happened_on, working)
        made.append(Deadline.objects.create(
            case_id=event.case_id, claimant_id=event.claimant_id, event=event, rule_id=found.id,
            rules_version=found.version, due_on=due.due_on, nominal_on=due.nominal_on, verify=found.verify,
            unpublished=bool(due.unpublished_years),
        ))
    return made


def case_deadlines_recompute(*, case: Case) -> int:
    """Every due date of a case again (its kind, hence its rule set, changed)."""
    working = calendar_from_database()
    return sum(len(event_deadlines_recompute(event=event, working=working))
               for event in CaseEvent.objects.filter(case=case).select_related("case"))
