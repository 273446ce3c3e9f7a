"""When a request's writer is certainly someone the team knows, and where their work already is.

"Certain" is what people.matching scores 100 % with every one of the five strongest agreements:
the same phone, surname, first name, date of birth and unit. Those five add up to 1.35 before
the score is capped at 1.0, so a single disagreement (another patronymic, say) could still leave
a 100 % score without them all; requiring each of them is what makes it certain rather than
likely. A request that names a patronymic needs the record's to agree as well: a different one
costs less than the margin above 1.0, so "same phone, name, date of birth and unit" with another
patronymic still scores 100 % (a relative on the family phone, a namesake in the same unit), and
a record without one cannot confirm it. Anything less is listed for the lawyer to decide, never
preselected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils.translation import gettext_lazy as _

from defensor.accounts.models import User
from defensor.cases.models import OPEN_STATUSES, Case, CaseStage, Claimant
from defensor.cases.selectors import cases_for
from defensor.people.matching import (
    SAME_BIRTH_DATE,
    SAME_FIRST_NAME,
    SAME_PATRONYMIC,
    SAME_PHONE,
    SAME_SURNAME,
    SAME_SURNAME_TRANSLITERATED,
    SAME_UNIT,
    Identity,
)
from defensor.people.selectors import Candidate

CERTAIN_SCORE = 1.0
CERTAIN_WHY = _("same phone, name, date of birth and unit")


def names_patronymic(identity: Identity) -> bool:
    """The name is written in three words or more (surname, first name, patronymic): whether the
    patronymic must agree too for a match to be certain."""
    return len((identity.full_name or "").split()) >= 3


def is_certain(score: float, reasons: Iterable[str], *, patronymic: bool = False) -> bool:
    """``patronymic``: the request names one (names_patronymic), so the record's must agree."""
    found = set(reasons)
    return (
        score >= CERTAIN_SCORE
        and {SAME_PHONE, SAME_FIRST_NAME, SAME_BIRTH_DATE, SAME_UNIT} <= found
        and bool(found & {SAME_SURNAME, SAME_SURNAME_TRANSLITERATED})
        and (not patronymic or SAME_PATRONYMIC in found)
    )


def certain_candidate(candidates: Sequence[Candidate], identity: Identity) -> Candidate | None:
    """The one known person the request (``identity``) certainly comes from, if exactly one is
    certain and the reader can open it (two certain records are duplicates of each other: the
    lawyer decides)."""
    patronymic = names_patronymic(identity)
    certain = [c for c in candidates if is_certain(c.score, c.reasons, patronymic=patronymic)]
    if len(certain) != 1 or not certain[0].accessible:
        return None
    return certain[0]


def open_case_of(*, actor: User, person_id: int) -> Case | None:
    """The case a known person's work is in: a group claim where they are an open claimant, or
    else their own open case; the most recently changed. Only cases the actor holds."""
    claim = (
        Claimant.objects.filter(
            person_id=person_id, status__in=OPEN_STATUSES, merged_into__isnull=True,
            case__in=cases_for(actor=actor),
        )
        .exclude(case__stage=CaseStage.CLOSED)
        .select_related("case")
        .order_by("-case__group", "-case__updated_at", "-case_id")
        .first()
    )
    return claim.case if claim is not None else None
