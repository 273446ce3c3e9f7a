"""The Russian working-day calendar the courts count with: weekends, public holidays and the
days off moved by the government's yearly decree (from the `holidays` package: days off and
working Saturdays), overridden by the administrators' own table (a one-off decree the package
does not know yet). A year whose transfers are not published yet is flagged, not guessed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import holidays

SATURDAY = 5


@cache
def _package_year(year: int) -> tuple[frozenset[date], frozenset[date], bool]:
    """(days off, working weekend days, transfers published) for one year, from `holidays`."""
    # The names are only read for "substituted": asked in English, so the server's locale (a
    # Russian one names them in Russian) cannot make every year look unpublished.
    russia = holidays.country_holidays("RU", years=year, language="en_US")
    days_off = frozenset(day for day in russia if day.year == year)
    workdays = frozenset(day for day in getattr(russia, "weekend_workdays", set()) if day.year == year)
    # A year's decree moves days off (or makes a Saturday a working day); without either, the
    # package has only the fixed holidays of the Labour Code, not the year's calendar.
    moved = any("substituted" in str(russia.get(day, "")).lower() for day in days_off)
    return days_off, workdays, bool(moved or workdays)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days. ``overrides``: date -> working? (the administrators' table);
    ``published``: years an administrator confirmed as published beyond the package's."""

    overrides: dict[date, bool] = field(default_factory=dict)
    published: frozenset[int] = frozenset()

    def is_working(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        days_off, workdays, _published = _package_year(day.year)
        if day in days_off:
            return False
        if day in workdays:
            return True
        return day.weekday() < SATURDAY

    def next_working(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def is_published(self, year: int) -> bool:
        return year in self.published or _package_year(year)[2]

    def unpublished(self, years: Iterable[int]) -> list[int]:
        return sorted({year for year in years if not self.is_published(year)})


def calendar_from_database() -> WorkingCalendar:
    """The calendar with the administrators' table applied (two small queries)."""
    from defensor.deadlines.models import CalendarDay, PublishedYear

    return WorkingCalendar(
        overrides=dict(CalendarDay.objects.values_list("day", "working")),
        published=frozenset(PublishedYear.objects.values_list("year", flat=True)),
    )
