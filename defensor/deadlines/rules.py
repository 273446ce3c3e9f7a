"""The rule set (data/rules.yaml), read and checked once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).resolve().parent / "data" / "rules.yaml"
UNITS = ("days", "months", "years")
COUNTINGS = ("calendar", "working")


class RuleError(ValueError):
    """The rule file is wrong (a developer's mistake, found at start-up and by the tests)."""


@dataclass(frozen=True)
class Rule:
    id: str
    sets: tuple[str, ...]  # the rule sets (cases.procedures) it belongs to
    title_ru: str
    title_en: str
    citation: str
    effective_from: date
    effective_to: date | None
    triggers: tuple[str, ...]
    met_by: tuple[str, ...]  # event kinds that meet the period (the claim filed, the appeal lodged)
    met_once: bool  # one meeting event meets one due date only (a reply answers one request)
    length: int
    unit: str
    counting: str
    restorable: bool
    verify: bool  # the current text is not confirmed: "verify with counsel" wherever its dates appear
    version: int

    def title(self, language: str) -> str:
        return self.title_ru if language.startswith("ru") else self.title_en

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


def _rule(raw: dict[str, object], version: int) -> Rule:
    try:
        title = raw["title"]
        if not isinstance(title, dict):
            raise RuleError(f"{raw.get('id')}: title must have ru and en")
        rule = Rule(
            id=str(raw["id"]), sets=tuple(str(name) for name in raw["sets"]),  # type: ignore[attr-defined]
            title_ru=str(title["ru"]), title_en=str(title["en"]), citation=str(raw["citation"]),
            effective_from=_date(raw["effective_from"]),
            effective_to=_date(raw["effective_to"]) if raw.get("effective_to") else None,
            triggers=tuple(str(t) for t in raw["triggers"]),  # type: ignore[attr-defined]
            met_by=tuple(str(t) for t in raw.get("met_by") or ()),  # type: ignore[attr-defined]
            met_once=bool(raw.get("met_once", False)),
            length=int(raw["length"]),  # type: ignore[call-overload]
            unit=str(raw["unit"]), counting=str(raw["counting"]), restorable=bool(raw["restorable"]),
            verify=bool(raw.get("verify", False)), version=version,
        )
    except KeyError as missing:
        raise RuleError(f"{raw.get('id')}: missing {missing}") from None
    if rule.unit not in UNITS or rule.counting not in COUNTINGS or rule.length <= 0 or not rule.triggers:
        raise RuleError(f"{rule.id}: unit, counting, length or triggers")
    return rule


def _date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@cache
def rules() -> dict[str, Rule]:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    version = int(data["version"])
    found: dict[str, Rule] = {}
    for raw in data["rules"]:
        rule = _rule(raw, version)
        if rule.id in found:
            raise RuleError(f"{rule.id}: twice")
        found[rule.id] = rule
    return found


def rules_for(rule_set: str, event_kind: str) -> list[Rule]:
    """The rules of a case's rule set that an event of this kind starts."""
    return [r for r in rules().values() if rule_set in r.sets and event_kind in r.triggers]


@dataclass(frozen=True)
class RuleShown:
    """What a page or the feed shows of a due date's rule."""

    title: str  # in the reader's language; the rule's id if the rule file no longer has it
    citation: str
    restorable: bool  # if missed, the court may restore the period on a motion
    verify: bool  # the current text is not confirmed: "verify with counsel"


def rule_shown(rule_id: str, language: str) -> RuleShown:
    found = rules().get(rule_id)
    if found is None:
        return RuleShown(title=rule_id, citation="", restorable=False, verify=False)
    return RuleShown(title=found.title(language), citation=found.citation, restorable=found.restorable,
                     verify=found.verify)


def rule(rule_id: str) -> Rule:
    try:
        return rules()[rule_id]
    except KeyError:
        raise RuleError(f"no rule {rule_id!r}") from None
