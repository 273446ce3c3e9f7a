"""What a case's kind decides: the court that hears it, the procedure it follows and the deadline
rules that apply to it (the deadlines module reads ``deadline_rules``). Data, not code, so a
lawyer can read it: docs/decisions.md says where each rule comes from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from defensor.cases.models import CaseKind


class CourtKind(models.TextChoices):
    GARRISON_MILITARY = "garrison_military", _("Garrison military court")
    DISTRICT = "district", _("District court")
    NONE = "none", _("No court yet")


@dataclass(frozen=True)
class Procedure:
    court: CourtKind
    law: Promise  # the procedure, as a lawyer names it
    deadline_rules: str  # the set of deadline rules (the deadlines issue defines them)


PROCEDURES: dict[str, Procedure] = {
    CaseKind.MILITARY_ADMIN: Procedure(
        court=CourtKind.GARRISON_MILITARY,
        law=_("Code of Administrative Procedure, chapter 22 (challenging a decision of an official)"),
        deadline_rules="cap_ch22",
    ),
    CaseKind.SPECIAL_RANK: Procedure(
        court=CourtKind.DISTRICT,
        law=_("Civil procedure: a service dispute (labour law and the law on service)"),
        deadline_rules="service_dispute",
    ),
    CaseKind.CRIMINAL: Procedure(
        court=CourtKind.DISTRICT,
        law=_("Code of Criminal Procedure"),
        deadline_rules="criminal",
    ),
    CaseKind.OBJECTION: Procedure(
        court=CourtKind.DISTRICT,
        law=_("Code of Administrative Procedure, chapter 22 (a decision of the draft commission)"),
        deadline_rules="cap_ch22",
    ),
    CaseKind.OTHER: Procedure(
        court=CourtKind.NONE, law=_("Decided case by case"), deadline_rules="",
    ),
}


def procedure_for(kind: str) -> Procedure:
    return PROCEDURES.get(kind, PROCEDURES[CaseKind.OTHER])


# One word per thing, by procedure: under the Code of Administrative Procedure the one who sues is
# an "административный истец" (КАС ст. 4, 38), in civil procedure an "истец" (ГПК ст. 38); a
# criminal case has a client defended, not a claimant (docs/glossary.md).
_CLAIMANT_WORDS: dict[str, tuple[Promise, Promise]] = {
    CaseKind.MILITARY_ADMIN: (_("Administrative claimant"), _("Administrative claimants")),
    CaseKind.OBJECTION: (_("Administrative claimant"), _("Administrative claimants")),
    CaseKind.CRIMINAL: (_("Client defended"), _("Clients defended")),
}


def claimant_word(kind: str, *, plural: bool = False) -> Promise:
    """What a case of this kind calls the people it is brought for, as a heading."""
    one, many = _CLAIMANT_WORDS.get(kind, (_("Claimant"), _("Claimants")))
    return many if plural else one


# The intake questionnaire's "where do you serve" answer -> the kind of case it usually becomes
# (the triager can choose another when accepting).
_KIND_BY_SERVICE = {
    "contract": CaseKind.MILITARY_ADMIN,
    "mobilised": CaseKind.MILITARY_ADMIN,
    "conscript": CaseKind.MILITARY_ADMIN,
    "special_rank": CaseKind.SPECIAL_RANK,
}


def suggested_kind(answers: Mapping[str, Any]) -> str:
    return _KIND_BY_SERVICE.get(str(answers.get("service_category", "")), CaseKind.OTHER)
