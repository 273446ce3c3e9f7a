"""Answers ``cases.signals.period_end_asked`` (connected in DeadlinesConfig.ready): when a period
of the rule set ends, counted by counting.due_date on the working calendar with the
administrators' table applied. The documents app asks it (it may not import this app)."""

from __future__ import annotations

from datetime import date
from typing import Any

from defensor.cases.signals import PeriodEnd
from defensor.deadlines.calendar import calendar_from_database
from defensor.deadlines.counting import due_date
from defensor.deadlines.rules import rules


def period_end(*, rule_id: str, start: date) -> PeriodEnd | None:
    """The end of ``rule_id``'s period that runs from ``start``; None for a rule the file lacks."""
    found = rules().get(rule_id)
    if found is None:
        return None
    due = due_date(found, start, calendar_from_database())
    return PeriodEnd(ends_on=due.due_on, nominal_on=due.nominal_on, unpublished=bool(due.unpublished_years),
                     verify=found.verify)


def period_end_answer(sender: object, *, rule_id: str, start: date, **_kwargs: Any) -> PeriodEnd | None:
    """The receiver of ``period_end_asked``."""
    return period_end(rule_id=rule_id, start=start)
