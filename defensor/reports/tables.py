"""The tables a report publishes, made from the persons counted (counting.Counted).

Each table is one breakdown of persons, every person in exactly one line, so disclosure control can
check it (disclosure.protect_series). The kinds of pressure are the exception: a person may name
several, so each kind is its own small table ("named it" / "did not"), of which only the first
line is shown. A table's keys are stable values; the words a reader sees are made when it is shown
(labels()), in the reader's language.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from defensor.cases.models import CaseKind, CaseOutcome, CaseStage, WithdrawalReason
from defensor.people.options import force_choices, label_of, service_category_choices
from defensor.reports.counting import INCIDENT, Counted
from defensor.reports.disclosure import CountSeries
from defensor.reports.districts import DISTRICT_NAMES, DISTRICTS, district_of

NOT_STATED = "not_stated"
PRESSURE_KINDS = ("command", "family", "police", "criminal_threats", "other", INCIDENT)


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1…4

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, key: str) -> Quarter | None:
        """"2025-Q3" → Quarter(2025, 3); anything else: None."""
        year, _sep, number = key.partition("-Q")
        if not (year.isdigit() and len(year) == 4 and number in {"1", "2", "3", "4"}):
            return None
        return cls(int(year), int(number))

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        following = self.next()
        return date.fromordinal(following.first_day.toordinal() - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def label(self) -> str:
        return _("Q%(number)s %(year)s") % {"number": self.number, "year": self.year}

    def __lt__(self, other: Quarter) -> bool:
        return (self.year, self.number) < (other.year, other.number)

    def __le__(self, other: Quarter) -> bool:
        return (self.year, self.number) <= (other.year, other.number)


@functools.lru_cache(maxsize=4096)
def _quarter_key(day: date) -> str:
    return Quarter.of(day).key


def quarters(first: Quarter, last: Quarter) -> list[Quarter]:
    found = []
    quarter = first
    while quarter <= last:
        found.append(quarter)
        quarter = quarter.next()
    return found


@dataclass(frozen=True)
class TableSpec:
    key: str
    title: Promise
    counts: Promise  # what a number counts
    keys: Callable[[Sequence[Quarter]], tuple[str, ...]]
    # A person's line; None: not in this table (a value that is not a line, where the table has a
    # "not stated" line: counted there).
    of: Callable[[Counted], str | None]
    label: Callable[[str], str]


def _choices_keys(choices: Callable[[], list[tuple[str, str]]]) -> Callable[[Sequence[Quarter]], tuple[str, ...]]:
    return lambda _quarters: (*[value for value, _label in choices()], NOT_STATED)


def _choice_label(choices: Callable[[], list[tuple[str, str]]]) -> Callable[[str], str]:
    return lambda key: _("Not stated") if key == NOT_STATED else label_of(choices(), key)


def _enum_label(enum: type[CaseKind] | type[CaseStage] | type[CaseOutcome]) -> Callable[[str], str]:
    return lambda key: str(enum(key).label)


def _withdrawal_label(key: str) -> str:
    return _("No reason recorded") if key == NOT_STATED else str(WithdrawalReason(key).label)


_PERSONS = gettext_lazy("persons")
_IN_CASES = gettext_lazy("persons in cases")

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "quarter", gettext_lazy("By quarter of first contact"), _PERSONS,
        lambda qs: tuple(q.key for q in qs), lambda c: _quarter_key(c.first_contact),
        lambda key: Quarter.parse(key).label() if Quarter.parse(key) else key,  # type: ignore[union-attr]
    ),
    TableSpec(
        "district", gettext_lazy("By federal district of service"), _PERSONS,
        lambda _qs: DISTRICTS, lambda c: district_of(c.region), lambda key: str(DISTRICT_NAMES[key]),
    ),
    TableSpec(
        "service_category", gettext_lazy("By status in the service"), _PERSONS,
        _choices_keys(service_category_choices), lambda c: c.service_category, _choice_label(service_category_choices),
    ),
    TableSpec(
        "force", gettext_lazy("By force"), _PERSONS,
        _choices_keys(force_choices), lambda c: c.force, _choice_label(force_choices),
    ),
    TableSpec(
        "case_kind", gettext_lazy("Persons in cases, by kind of case"), _IN_CASES,
        lambda _qs: tuple(CaseKind.values), lambda c: c.case[0] if c.case else None, _enum_label(CaseKind),
    ),
    TableSpec(
        "case_stage", gettext_lazy("Persons in cases, by stage of their case"), _IN_CASES,
        lambda _qs: tuple(CaseStage.values), lambda c: c.case[1] if c.case else None, _enum_label(CaseStage),
    ),
    TableSpec(
        "case_outcome", gettext_lazy("Persons in cases, by outcome of their case"), _IN_CASES,
        lambda _qs: tuple(CaseOutcome.values), lambda c: c.case[2] if c.case else None, _enum_label(CaseOutcome),
    ),
    TableSpec(
        "withdrawal", gettext_lazy("Persons who withdrew from a claim, by reason"),
        gettext_lazy("persons who withdrew"),
        lambda _qs: (*WithdrawalReason.values, NOT_STATED),
        lambda c: None if c.withdrawal is None else (c.withdrawal or NOT_STATED),
        _withdrawal_label,
    ),
)
TABLE_KEYS = tuple(spec.key for spec in TABLES)
SPECS = {spec.key: spec for spec in TABLES}

PRESSURE_TITLE = gettext_lazy("Persons who named pressure, by kind (a person may name several)")
NAMED, NOT_NAMED = "named", "not_named"


def pressure_label(kind: str) -> str:
    labels = {
        "command": _("From the command"),
        "family": _("From family"),
        "police": _("From police or investigators"),
        "criminal_threats": _("Threats of a criminal case"),
        "other": _("Other pressure"),
        INCIDENT: _("Pressure incident recorded by the team"),
    }
    return labels[kind]


def in_period(counted: Sequence[Counted], first: Quarter, last: Quarter) -> list[Counted]:
    start, end = first.first_day, last.last_day
    return [person for person in counted if start <= person.first_contact <= end]


def series_of(counted: Sequence[Counted], period: Sequence[Quarter]) -> dict[str, CountSeries]:
    """Every table's exact counts over the persons of the period, and one per kind of pressure
    (key "pressure:<kind>")."""
    made: dict[str, CountSeries] = {}
    for spec in TABLES:
        keys = spec.keys(period)
        tally = Counter(map(spec.of, counted))
        tally.pop(None, None)
        if NOT_STATED in keys:
            tally[NOT_STATED] += sum(n for line, n in tally.items() if line not in keys)
        made[spec.key] = CountSeries(labels=keys, counts=tuple(tally.get(key, 0) for key in keys))
    for kind in PRESSURE_KINDS:
        named = sum(1 for person in counted if kind in person.pressure)
        made[f"pressure:{kind}"] = CountSeries(labels=(NAMED, NOT_NAMED), counts=(named, len(counted) - named))
    return made
