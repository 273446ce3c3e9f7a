"""Dates as a person gives them: a day, or only a month or a year, or "roughly".

The data contract (docs/questionnaires.md, "Dates given roughly"): a date answer is "YYYY-MM-DD",
"YYYY-MM" (month known) or "YYYY" (year known), and ``<question_id>_approximate: "yes"`` marks any
of them as rough. A rough date counts from the earliest day it can be (deadlines run from it, so a
rough date never makes a limit look further away than it may be).

The form (forms.py) types it in three parts and the hotline or a test may post one value: both
are read by ``typed_date`` here, the reading and its mistakes in one place.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

EARLIEST_DATE = date(1940, 1, 1)

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
# What a person (or a test, or the hotline's typist) may type as one value.
_TYPED = (
    (re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})$")),
    (re.compile(r"^(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})$")),
    (re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$")),
    (re.compile(r"^(?P<month>\d{1,2})\.(?P<year>\d{4})$")),
    (re.compile(r"^(?P<year>\d{4})$")),
)


@dataclass(frozen=True)
class GivenDate:
    """A date as the person gave it: ``day`` is the earliest it can be; ``precision`` says how much
    of it they knew ("day", "month", "year")."""

    day: date
    approximate: bool
    precision: str = "day"

    def __repr__(self) -> str:
        return "<GivenDate>"  # a date the person gave: never in a traceback or log

    def __str__(self) -> str:
        return ("≈ " if self.approximate else "") + self.shown

    @property
    def shown(self) -> str:
        """As Russian readers write it, without the mark: 15.03.2022, 03.2022 or 2022."""
        return self.day.strftime({"day": "%d.%m.%Y", "month": "%m.%Y", "year": "%Y"}[self.precision])

    @property
    def latest(self) -> date:
        """The last day it can be (a month's last day, a year's 31 December)."""
        if self.precision == "year":
            return date(self.day.year, 12, 31)
        if self.precision == "month":
            return date(self.day.year, self.day.month, calendar.monthrange(self.day.year, self.day.month)[1])
        return self.day

    @property
    def stored(self) -> str:
        """The answer as the data contract keeps it: "2022-03-15", "2022-03" or "2022"."""
        return self.day.isoformat()[: {"day": 10, "month": 7, "year": 4}[self.precision]]


def is_approximate(flag: Any) -> bool:
    return flag is True or (isinstance(flag, str) and flag.lower() in ("true", "yes", "on", "1"))


def latest_year() -> int:
    return timezone.localdate().year + 1


def plausible(day: date) -> bool:
    """From 1940 to the end of next year: what the form accepts (year 9999 would break the
    deadlines counted from it)."""
    return EARLIEST_DATE <= day <= date(latest_year(), 12, 31)


def given_date(answers: Mapping[str, Any], question_id: str) -> GivenDate | None:
    """The date answer ``question_id`` (see the module's docstring), or None if it is absent, not
    a date this contract knows, or not a plausible one."""
    given = _parsed_date(answers, question_id)
    return given if given is not None and plausible(given.day) else None


def _parsed_date(answers: Mapping[str, Any], question_id: str) -> GivenDate | None:
    raw = answers.get(question_id)
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    flagged = is_approximate(answers.get(f"{question_id}_approximate"))
    try:
        if match := _DAY.match(raw):
            year, month, day = (int(part) for part in match.groups())
            return GivenDate(date(year, month, day), flagged, "day")
        if match := _MONTH.match(raw):
            return GivenDate(date(int(match[1]), int(match[2]), 1), True, "month")
        if match := _YEAR.match(raw):
            return GivenDate(date(int(match[1]), 1, 1), True, "year")
    except ValueError:  # 2022-13-01, 2022-02-30
        return None
    return None


@dataclass(frozen=True)
class DateParts:
    """A date question's answer as typed: day, month (1-12 or ""), year, and the "roughly" box."""

    day: str = ""
    month: str = ""
    year: str = ""
    approximate: bool = False

    def __repr__(self) -> str:
        return "<DateParts>"

    @property
    def empty(self) -> bool:
        return not (self.day or self.month or self.year)

    @classmethod
    def from_answer(cls, value: Any, approximate: Any = False) -> DateParts:
        """The parts of a kept answer (or of one typed value: "20.02.2022", "2022-03", "2022")."""
        text = value.strip() if isinstance(value, str) else ""
        for pattern in _TYPED:
            if match := pattern.match(text):
                parts = match.groupdict()
                return cls(day=str(int(parts["day"])) if parts.get("day") else "",
                           month=str(int(parts["month"])) if parts.get("month") else "",
                           year=parts["year"], approximate=is_approximate(approximate))
        # Not a date: kept as the day part, so a refused page shows what was typed and says why.
        return cls(day=text[:20], approximate=is_approximate(approximate))


class DateMistake(ValueError):
    """What is wrong with a typed date; ``code`` chooses the words (forms.DATE_ERRORS)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def typed_date(parts: DateParts, *, rough_allowed: bool) -> GivenDate | None:
    """The date the parts say (None if nothing was typed), or DateMistake: letters, a day without
    its month, no year, a day the month does not have, a year out of range, or (where no rough
    date is allowed) a month or a year alone."""
    if parts.empty:
        return None
    numbers = (parts.day, parts.month, parts.year)
    if any(p and not p.isdigit() for p in numbers) or len(parts.day) > 2 or len(parts.month) > 2:
        raise DateMistake("letters")
    if parts.day and not parts.month:
        raise DateMistake("day_without_month")
    if not parts.year:
        raise DateMistake("no_year")
    if len(parts.year) != 4 or not EARLIEST_DATE.year <= int(parts.year) <= latest_year():
        raise DateMistake("year")
    if not (parts.day and parts.month) and not rough_allowed:
        raise DateMistake("whole_date")
    year, month = int(parts.year), int(parts.month or 1)
    if not 1 <= month <= 12:
        raise DateMistake("letters")
    try:
        day = date(year, month, int(parts.day or 1))
    except ValueError:  # 31 February
        raise DateMistake("no_such_day") from None
    precision = "day" if parts.day else "month" if parts.month else "year"
    return GivenDate(day, parts.approximate or precision != "day", precision)
