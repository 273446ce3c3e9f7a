"""The choices a person record offers for their service: the same option values as intake's
questionnaire and region list, so what a request carries and what the team types are one thing.

``people`` sits below ``intake`` and may not import it: the lists are read from intake's data
files, which are the single source of them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import get_language

_INTAKE = Path(__file__).resolve().parent.parent / "intake"
QUESTIONNAIRE_FILE = _INTAKE / "questionnaires" / "refusal.yaml"
REGIONS_FILE = _INTAKE / "data" / "regions.yaml"

Choices = list[tuple[str, str]]


def _label(text: dict[str, str]) -> str:
    language = (get_language() or "ru")[:2]
    return text.get(language) or text.get("ru") or next(iter(text.values()))


@cache
def _questions() -> dict[str, list[dict[str, Any]]]:
    raw = yaml.safe_load(QUESTIONNAIRE_FILE.read_text(encoding="utf-8"))
    found: dict[str, list[dict[str, Any]]] = {}
    for step in raw.get("steps", []):
        for question in step.get("questions", []):
            if question.get("options"):
                found[question["id"]] = question["options"]
    return found


@cache
def _regions() -> list[dict[str, Any]]:
    return list(yaml.safe_load(REGIONS_FILE.read_text(encoding="utf-8")))


def service_category_choices() -> Choices:
    return [(o["value"], _label(o["label"])) for o in _questions().get("service_category", [])]


def force_choices() -> Choices:
    return [(o["value"], _label(o["label"])) for o in _questions().get("force", [])]


def region_choices() -> Choices:
    return [(r["code"], _label(r["name"])) for r in _regions()]


def label_of(choices: Choices, value: str | None) -> str:
    """The label of a stored value; a value no longer listed is shown as it is."""
    if not value:
        return ""
    return dict(choices).get(value, value)
