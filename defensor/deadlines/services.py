"""Writes to the working-day calendar's own table (administrators, calendar.manage), audited."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.deadlines.models import CalendarDay, PublishedYear


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
