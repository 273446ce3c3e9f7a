"""When a period ends, counted as the procedural codes say (CAS arts. 92-93, CPC arts. 107-108):

- it starts the day after the event;
- a period in months (or years) ends on the same-numbered day of its last month, or on that
  month's last day if it has no such day (a month from 31 January ends on 28 or 29 February);
- a period in days counts calendar days or working days, as its rule says;
- if the last day is a non-working day, the period ends on the next working day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from defensor.deadlines.calendar import WorkingCalendar
from defensor.deadlines.rules import Rule


def add_months(day: date, months: int) -> date:
    """The same-numbered day ``months`` later, or the last day of that month if it has none."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Due:
    due_on: date
    nominal_on: date  # before moving off a non-working day
    unpublished_years: tuple[int, ...]  # the calendar of these years is not published: check by hand

    @property
    def moved(self) -> bool:
        return self.due_on != self.nominal_on


def due_date(rule: Rule, event_on: date, working: WorkingCalendar) -> Due:
    if rule.unit in {"months", "years"}:
        nominal = add_months(event_on, rule.length * (12 if rule.unit == "years" else 1))
    elif rule.counting == "working":
        nominal, counted = event_on, 0
        while counted < rule.length:
            nominal += timedelta(days=1)
            counted += working.is_working(nominal)
    else:
        nominal = event_on + timedelta(days=rule.length)
    due = working.next_working(nominal)
    years = range(event_on.year, due.year + 1) if rule.counting == "working" else range(nominal.year, due.year + 1)
    return Due(due_on=due, nominal_on=nominal, unpublished_years=tuple(working.unpublished(years)))
