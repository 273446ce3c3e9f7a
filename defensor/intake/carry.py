"""What a request's answers become when it is accepted: told once, never typed again.

On accept (``carry_facts``, inside ``services.submission_accept``'s transaction) the dates the
person gave become the claimant's events (the dismissal order starts their deadlines at once),
their service fills the person record where it is empty, and their files join the case (and
become its evidence items, by the accepting user: cases.signals.files_carried). Nothing
is duplicated when a second request of the same person is accepted into the same case: an event
of a kind the claimant already has is not added, and a date that differs is reported to the
lawyer instead. Where the person record already says something else, it is not overwritten.

``carried_facts`` shows it again later on the request's page, recomputed from the sealed records
(events whose ``submission`` is the request, the person record, the case's files): nothing of it
is stored in the clear anywhere.

Dates (dates.py, docs/questionnaires.md): an answer is "YYYY-MM-DD", "YYYY-MM" (month known) or
"YYYY" (year known), and ``<question_id>_approximate: "yes"`` marks any of them as rough. A rough
date becomes the earliest day it can be, with ``approximate=True`` on the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from defensor.accounts.models import User
from defensor.cases.models import Case, CaseEvent, CaseFile, Claimant, EventKind
from defensor.cases.services import case_event_add, case_files_add
from defensor.intake.dates import GivenDate as GivenDate  # also read from here (tests, accept_views)
from defensor.intake.dates import given_date as given_date
from defensor.intake.forms import display_answer
from defensor.intake.models import Attachment, Submission
from defensor.intake.questionnaire import default_questionnaire
from defensor.keys.keyring import KeyRing, NoAccess
from defensor.people.models import Person
from defensor.people.services import person_update

# Question id -> the claimant event it becomes. One event of each of these kinds per claimant.
EVENT_QUESTIONS: tuple[tuple[str, EventKind], ...] = (
    ("order_date", EventKind.ORDER_RECEIVED),
    ("refusal_date", EventKind.REFUSAL),
    ("dismissal_order_date", EventKind.DISMISSAL_ORDER),
)
ONE_PER_CLAIMANT = frozenset(kind for _question, kind in EVENT_QUESTIONS)

# Question id -> person field. Filled where the record is empty; a different value is reported.
PERSON_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("unit", "unit"),
    ("force", "force"),
    ("service_category", "service_category"),
    ("service_region", "region"),
)

FIELD_LABELS: dict[str, Promise] = {
    "unit": gettext_lazy("Military unit"),
    "force": gettext_lazy("Where they serve"),
    "service_category": gettext_lazy("Status in the service"),
    "region": gettext_lazy("Region of service"),
}

def _show_day(day: date, approximate: bool) -> str:
    return ("≈ " if approximate else "") + day.strftime("%d.%m.%Y")


def dismissal_text(answers: Mapping[str, Any], given: GivenDate) -> str:
    """«Приказ № 12 от 01.03.2022» (sealed in the event): the order's number, if the person knew it."""
    number = str(answers.get("dismissal_order_number") or "").strip()
    shown = given.shown
    if number:
        return _("Order No. %(number)s of %(date)s") % {"number": number, "date": shown}
    return _("Order of %(date)s") % {"date": shown}


# --- what was carried ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CarriedEvent:
    event_id: int
    case_id: int
    kind: str
    label: str
    day: date
    approximate: bool
    # The claimant already had it, with the same date (from an earlier request, or typed): not added.
    already: bool = False

    def __repr__(self) -> str:
        return f"<CarriedEvent {self.event_id}>"

    @property
    def shown(self) -> str:
        return _show_day(self.day, self.approximate)


@dataclass(frozen=True)
class DateDifference:
    """The request gives another date than the case has for the claimant: not applied."""

    event_id: int
    case_id: int
    kind: str
    label: str
    request_says: str
    case_has: str

    def __repr__(self) -> str:
        return f"<DateDifference {self.event_id}>"


@dataclass(frozen=True)
class FieldDifference:
    """The request says something else than the person record: not applied, for the lawyer to look at."""

    field: str
    label: str
    request_says: str
    record_has: str

    def __repr__(self) -> str:
        return f"<FieldDifference {self.field}>"


@dataclass
class Carried:
    """What a request brought into the person record and the case. Holds decrypted values: shown
    on the page that computed it, never stored or logged (the repr holds counts only)."""

    person_id: int | None = None
    case_id: int | None = None
    events: list[CarriedEvent] = field(default_factory=list)
    date_differences: list[DateDifference] = field(default_factory=list)
    fields_filled: list[str] = field(default_factory=list)  # labels
    fields_filled_names: list[str] = field(default_factory=list)
    field_differences: list[FieldDifference] = field(default_factory=list)
    files: int = 0

    def __repr__(self) -> str:
        return (f"<Carried events={len(self.events)} fields={len(self.fields_filled)} files={self.files} "
                f"differences={len(self.date_differences) + len(self.field_differences)}>")

    @property
    def differences(self) -> int:
        return len(self.date_differences) + len(self.field_differences)

    @property
    def added_events(self) -> list[CarriedEvent]:
        return [e for e in self.events if not e.already]

    @property
    def added(self) -> bool:
        """Something was written (the flash message's count); ``anything``: something to show."""
        return bool(self.added_events or self.fields_filled or self.files)

    @property
    def anything(self) -> bool:
        return bool(self.events or self.date_differences or self.fields_filled or self.field_differences
                    or self.files)

    def audit(self) -> dict[str, Any]:
        """For the audit event: ids, kinds, field names and counts, nothing a person wrote."""
        return {
            "carried_events": [e.event_id for e in self.added_events],
            "carried_kinds": [str(e.kind) for e in self.added_events],
            "carried_fields": sorted(self.fields_filled_names),
            "differences": sorted([str(d.kind) for d in self.date_differences]
                                  + [d.field for d in self.field_differences]),
            "carried_files": self.files,
        }


def _question_value(question_id: str, value: str) -> str:
    question = next((q for q in default_questionnaire().questions() if q.id == question_id), None)
    return (display_answer(question, value) if question is not None else value) or value


def _same(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def _person_fields(
    answers: Mapping[str, Any], record: Mapping[str, Any]
) -> tuple[dict[str, str], list[FieldDifference]]:
    """(fields the record lacks and the request gives, differences between the two)."""
    missing: dict[str, str] = {}
    differences = []
    for question_id, name in PERSON_QUESTIONS:
        given = str(answers.get(question_id) or "").strip()
        if not given:
            continue
        held = record.get(name)
        if not held:
            missing[name] = given
        elif not _same(held, given):
            differences.append(FieldDifference(
                field=name, label=str(FIELD_LABELS[name]),
                request_says=_question_value(question_id, given), record_has=_question_value(question_id, held),
            ))
    return missing, differences


def _compare(carried: Carried, existing: CaseEvent, kind: EventKind, given: GivenDate) -> None:
    """The claimant already has an event of this kind: the same date is listed as already there,
    another is a difference for the lawyer (never applied)."""
    if existing.happened_on == given.day and existing.approximate == given.approximate:
        carried.events.append(CarriedEvent(
            event_id=existing.pk, case_id=existing.case_id, kind=kind.value, label=str(kind.label),
            day=existing.happened_on, approximate=existing.approximate, already=True,
        ))
    else:
        carried.date_differences.append(DateDifference(
            event_id=existing.pk, case_id=existing.case_id, kind=kind.value, label=str(kind.label),
            request_says=str(given), case_has=_show_day(existing.happened_on, existing.approximate),
        ))


def carry_facts(
    *,
    submission: Submission,
    answers: Mapping[str, Any],
    person: Person,
    case: Case,
    claimant: Claimant,
    accepted_by: User,
    keyring: KeyRing,
    new_person: bool = False,
) -> Carried:
    """Turn the request's answers into the claimant's events, the person's service fields and the
    case's files (the caller's transaction; each write audits itself)."""
    carried = Carried(person_id=person.pk, case_id=case.pk)
    present = {e.kind: e for e in CaseEvent.objects.filter(claimant=claimant, kind__in=ONE_PER_CLAIMANT)
               .order_by("happened_on", "pk")}
    for question_id, kind in EVENT_QUESTIONS:
        given = given_date(answers, question_id)
        if given is None:
            continue
        existing = present.get(kind)
        if existing is not None:
            _compare(carried, existing, kind, given)
            continue
        text = dismissal_text(answers, given) if kind == EventKind.DISMISSAL_ORDER else ""
        event = case_event_add(case=case, recorded_by=accepted_by, keyring=keyring, kind=kind, happened_on=given.day,
                               text=text, claimant=claimant, approximate=given.approximate, submission=submission)
        carried.events.append(CarriedEvent(event_id=event.pk, case_id=case.pk, kind=kind.value, label=str(kind.label),
                                           day=given.day, approximate=given.approximate))
    record = person.decrypt(keyring)
    missing, carried.field_differences = _person_fields(answers, record)
    if missing:
        person_update(person=person, updated_by=accepted_by, keyring=keyring, **missing)
    filled = set(missing)
    if new_person:  # what person_create took from the request (the unit) was filled by it too
        filled |= {name for question_id, name in PERSON_QUESTIONS if answers.get(question_id)}
    carried.fields_filled_names = [name for _q, name in PERSON_QUESTIONS if name in filled]
    carried.fields_filled = [str(FIELD_LABELS[name]) for name in carried.fields_filled_names]
    attachments = list(Attachment.objects.filter(submission=submission).order_by("created_at", "pk"))
    if attachments:
        # With the keyring: the evidence app makes each file an item in this transaction (cases.signals).
        carried.files = len(case_files_add(case=case, attachments=attachments, added_by=accepted_by,
                                           claimant=claimant, keyring=keyring))
    return carried


def _holds(keyring: KeyRing, material_id: UUID) -> bool:
    try:
        keyring.material(material_id)
    except NoAccess:
        return False
    return True


def carried_facts(*, submission: Submission, answers: Mapping[str, Any], keyring: KeyRing) -> Carried | None:
    """What an accepted request brought, recomputed for its page from the sealed records (None if
    it was not accepted). The reader must hold the case's and the person's keys; what they do not
    hold is left out."""
    if submission.case_id is None or submission.person_id is None:
        return None
    case = Case.objects.filter(pk=submission.case_id).first()
    if case is None or not _holds(keyring, case.data_key_id):
        return None
    carried = Carried(person_id=submission.person_id, case_id=submission.case_id)
    events = list(CaseEvent.objects.filter(submission=submission, case_id=submission.case_id)
                  .order_by("happened_on", "pk"))
    carried.events = [
        CarriedEvent(event_id=e.pk, case_id=e.case_id, kind=e.kind, label=str(EventKind(e.kind).label),
                     day=e.happened_on, approximate=e.approximate)
        for e in events
    ]
    claimant = Claimant.objects.filter(case_id=submission.case_id, person_id=submission.person_id).first()
    if claimant is not None:
        carried_kinds = {e.kind for e in events}
        present = {e.kind: e for e in CaseEvent.objects.filter(claimant=claimant, kind__in=ONE_PER_CLAIMANT)
                   .exclude(submission=submission).order_by("happened_on", "pk")}
        for question_id, kind in EVENT_QUESTIONS:
            given = given_date(answers, question_id)
            existing = present.get(kind)
            if given is None or existing is None or kind in carried_kinds:
                continue
            _compare(carried, existing, kind, given)
    person = Person.objects.filter(pk=submission.person_id).first()
    if person is not None and _holds(keyring, person.data_key_id):
        record = person.decrypt(keyring)
        _missing, carried.field_differences = _person_fields(answers, record)
        carried.fields_filled_names = [
            name for question_id, name in PERSON_QUESTIONS
            if answers.get(question_id) and _same(record.get(name), str(answers.get(question_id)))
        ]
        carried.fields_filled = [str(FIELD_LABELS[name]) for name in carried.fields_filled_names]
    carried.files = CaseFile.objects.filter(case_id=submission.case_id, attachment__submission=submission).count()
    return carried
