"""Reads of cases: only those the acting user holds the key for; others do not exist for them
(404 on every page, absent from every list and count). Pages read a fixed number of queries
whatever their size, and open every record key they need at once (KeyRing.prefetch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from defensor.accounts.models import User
from defensor.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseNote,
    Claimant,
    ClaimantStatus,
    ClaimantStatusChange,
    EventKind,
    Task,
    WithdrawalReason,
)
from defensor.deadlines.models import Deadline
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyGrant
from defensor.keys.records import Decrypted

CASES_PER_PAGE = 25
ROSTER_LIMIT = 1000  # one page: a lawyer scans a whole group claim at a glance


def held_by(actor: User, key_field: str = "data_key_id") -> Exists:
    """The row's key is sealed to the actor. Written as EXISTS, so each row probes the grant's
    (material, user) index: "IN (the actor's grants)" makes SQLite read every grant the actor
    holds (100,000 and more) on every request."""
    return Exists(KeyGrant.objects.filter(material_id=OuterRef(key_field), user=actor, wrapped__isnull=False))


def cases_for(*, actor: User) -> QuerySet[Case]:
    return Case.objects.filter(held_by(actor), organisation=actor.membership.organisation, erased_at__isnull=True)


def case_for(*, actor: User, case_id: int) -> Case:
    case = cases_for(actor=actor).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


def group_cases_for(*, actor: User, keyring: KeyRing) -> list[tuple[Case, str]]:
    """Group claims the actor works on, with their decrypted titles (for choosing where a
    request goes)."""
    cases = list(cases_for(actor=actor).filter(group=True).order_by("-created_at")[:200])
    keyring.prefetch(case.data_key_id for case in cases)
    return [(case, case.decrypt(keyring).title or "") for case in cases]


# --- the case list ---------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class CaseRow:
    case: Case
    title: str | None  # None: not readable (keys locked)
    open_claimants: int
    claimants: int


@dataclass(frozen=True)
class CasePage:
    """One page of the case list. No total: counting every case a user holds would cost a probe
    per case of the organisation on every page view; the list is filtered, not leafed through."""

    number: int
    rows: list[CaseRow]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def case_list(
    *, actor: User, keyring: KeyRing | None, page: int = 1, kind: str = "", stage: str = "", number: str = "",
    per_page: int = CASES_PER_PAGE,
) -> CasePage:
    """A page of the actor's cases, most recently changed first, with claimant counts. The page's
    cases are found first (walking the list index), then their claimants counted: two queries
    whatever the number of cases."""
    cases = cases_for(actor=actor)
    if kind:
        cases = cases.filter(kind=kind)
    if stage:
        cases = cases.filter(stage=stage)
    if number:
        cases = cases.filter(number__icontains=number.strip())
    start = (max(page, 1) - 1) * per_page
    found = list(cases.order_by("-updated_at", "-id")[start:start + per_page + 1])
    shown = found[:per_page]
    counts = {
        row["case_id"]: row
        for row in Claimant.objects.filter(case__in=[c.pk for c in shown], merged_into__isnull=True)
        .exclude(status=ClaimantStatus.REMOVED).values("case_id").annotate(
            total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES))
        )
    }
    if keyring is not None:
        keyring.prefetch(case.data_key_id for case in shown)
    rows = [
        CaseRow(case, case.decrypt(keyring).title if keyring is not None else None,
                counts.get(case.pk, {}).get("open", 0), counts.get(case.pk, {}).get("total", 0))
        for case in shown
    ]
    return CasePage(number=max(page, 1), rows=rows, has_next=len(found) > per_page)


# --- the roster ------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class RosterRow:
    claimant: Claimant
    name: str | None  # None: the person's record is not readable by the actor
    unit: str | None
    reason: str  # of the current status, if it is a withdrawal
    dismissal_on: date | None  # their own dismissal order
    dismissal_approximate: bool  # its date is the earliest it can be (given roughly)
    needs_contact: bool
    next_due_on: date | None = None  # their earliest deadline not met (passed: missed)
    next_due_rule: str = ""  # the citation of its rule
    status_label: str = ""  # the status in the reader's language (one lookup per page, not per row)

    @property
    def missed(self) -> bool:
        return self.next_due_on is not None and self.next_due_on < timezone.localdate()

    @property
    def reason_label(self) -> str:
        """Why they withdrew (only while withdrawn)."""
        if self.claimant.status != ClaimantStatus.WITHDRAWN or not self.reason:
            return ""
        return str(WithdrawalReason(self.reason).label)


def roster(
    *, actor: User, case: Case, keyring: KeyRing | None, only: Claimant | None = None, removed: bool = False,
) -> list[RosterRow]:
    """Every claimant of the case on one page, in the order they joined: status and since when,
    why they withdrew, their own dismissal order date, and whether they are due a call
    (``only``: that claimant's row alone). Those removed as added by mistake are left out, or
    only they are listed (``removed``); memberships folded into another by a merge never are."""
    # The change recorded last is the current status, even when it was dated back (learnt of late).
    latest_change = ClaimantStatusChange.objects.filter(claimant=OuterRef("pk")).order_by("-id")
    dismissal = CaseEvent.objects.filter(claimant=OuterRef("pk"), kind=EventKind.DISMISSAL_ORDER).order_by(
        "-happened_on", "-id"
    )
    # Their earliest due date not met (a met one is kept, not pending). One that has passed is
    # shown as missed: a lawyer must see it (the court may restore it on a motion), not a dash.
    next_due = Deadline.objects.filter(claimant=OuterRef("pk"), met_on__isnull=True).order_by("due_on", "id")
    members = Claimant.objects.filter(case=case, merged_into__isnull=True)
    if only is not None:
        members = members.filter(pk=only.pk)
    elif removed:
        members = members.filter(status=ClaimantStatus.REMOVED)
    else:
        members = members.exclude(status=ClaimantStatus.REMOVED)
    claimants = list(
        members
        .select_related("person")
        .defer(*(f"person__{name}" for name in ROSTER_UNREAD))
        .annotate(reason=Subquery(latest_change.values("reason")[:1]),
                  dismissal_on=Subquery(dismissal.values("happened_on")[:1]),
                  dismissal_approximate=Subquery(dismissal.values("approximate")[:1]),
                  next_due_on=Subquery(next_due.values("due_on")[:1]),
                  next_due_rule=Subquery(next_due.values("rule_id")[:1]))
        .order_by("id")[:ROSTER_LIMIT]  # the order they joined
    )
    if keyring is not None:
        keyring.prefetch(c.person.data_key_id for c in claimants)
    due = follow_up_before()
    labels = {value: str(label) for value, label in ClaimantStatus.choices}
    cited = _rules_cited({getattr(c, "next_due_rule", "") or "" for c in claimants})
    rows = []
    for claimant in claimants:
        values = _person_values(claimant, keyring, ROSTER_FIELDS)
        rows.append(RosterRow(
            claimant=claimant,
            name=_name_of(claimant, values),
            unit=values.unit if values is not None else None,
            reason=getattr(claimant, "reason", "") or "",
            dismissal_on=getattr(claimant, "dismissal_on", None),
            dismissal_approximate=bool(getattr(claimant, "dismissal_approximate", False)),
            needs_contact=claimant.is_open and _contact_due(claimant, due),
            next_due_on=getattr(claimant, "next_due_on", None) if claimant.is_open else None,
            next_due_rule=cited.get(getattr(claimant, "next_due_rule", "") or "", "") if claimant.is_open else "",
            status_label=labels.get(claimant.status, claimant.status),
        ))
    return rows


def _rules_cited(rule_ids: set[str]) -> dict[str, str]:
    """Each rule's citation as the team reads it («ТК РФ, ст. 392 ч. 1»), not its id («tk-392»):
    one lookup per rule on the page, not per row."""
    from defensor.deadlines.rules import rule_shown

    return {rule_id: rule_shown(rule_id, "ru").citation or rule_id for rule_id in rule_ids if rule_id}


def claimant_names(*, case: Case, keyring: KeyRing | None) -> list[tuple[Claimant, str | None]]:
    """The case's claimants (as many as the roster shows), in the order they joined, each with
    their name as the roster shows it (None: not readable). Only names: the case page needs no
    more, and none of the roster's per-claimant subqueries."""
    claimants = list(Claimant.objects.filter(case=case, merged_into__isnull=True).select_related("person")
                     .order_by("id")[:ROSTER_LIMIT])
    if keyring is not None:
        keyring.prefetch(c.person.data_key_id for c in claimants)
    return [(claimant, _name_of(claimant, _person_values(claimant, keyring, ("full_name",))))
            for claimant in claimants]


# What the roster shows of a person's record: the other fields (notes, name forms…) are not
# decrypted for the page (of 500 claimants, each field is 500 decryptions).
ROSTER_FIELDS = ("full_name", "unit")
# Nor are they read from the database (nor their blind indexes).
ROSTER_UNREAD = ("surname", "birth_date", "notes", "name_forms", "surname_index", "surname_prefix_index",
                 "birth_date_index", "unit_index")


def _person_values(claimant: Claimant, keyring: KeyRing | None, fields: tuple[str, ...]) -> Decrypted | None:
    """``fields`` of the claimant's person record decrypted, or None if the reader holds no key
    for it (after ``keyring.prefetch``, no query)."""
    person = claimant.person
    if keyring is None or not keyring.opened(person.data_key_id):
        return None
    return person.decrypt(keyring, only=fields)


def _name_of(claimant: Claimant, values: Decrypted | None) -> str | None:
    """The name shown for a claimant: None if their record is not readable (or was erased)."""
    if values is None or claimant.person.erased_at is not None:
        return None
    return values.full_name or "—"


def follow_up_before() -> date:
    """Claimants last spoken with before this date are due a call."""
    return timezone.localdate() - timedelta(days=settings.DEFENSOR_FOLLOW_UP_DAYS)


def _contact_due(claimant: Claimant, before: date) -> bool:
    """The dashboard's rule (its query says the same): last spoken with, or added, before ``before``."""
    return claimant.last_contact_on is not None and claimant.last_contact_on < before


def claimant_for(*, case: Case, claimant_id: int) -> Claimant:
    """A claimant of the case (one folded into another by a merge is not one any more)."""
    claimant = (Claimant.objects.filter(case=case, pk=claimant_id, merged_into__isnull=True)
                .select_related("person").first())
    if claimant is None:
        raise Http404
    return claimant


# --- the timeline ----------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class TimelineEntry:
    """One line of a case's (or a claimant's) story, decrypted for the reader."""

    on: date
    at: datetime  # when it was recorded (orders entries of one day)
    kind: str  # "event", "status", "note"
    label: str
    text: str | None
    claimant_id: int | None = None
    who: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    event_id: int | None = None  # an event's date can be corrected
    approximate: bool = False  # the date was given roughly: the earliest day it can be


def timeline(*, case: Case, keyring: KeyRing | None, claimant: Claimant | None = None) -> list[TimelineEntry]:
    """Events, status changes and notes of the case (or of one claimant), oldest first."""
    # A membership folded into another by a merge is not shown (its events the kept claimant
    # lacked were moved there; the others are the same events again).
    events = (CaseEvent.objects.filter(case=case).exclude(claimant__merged_into__isnull=False)
              .select_related("recorded_by"))
    changes = (ClaimantStatusChange.objects.filter(claimant__case=case, claimant__merged_into__isnull=True)
               .select_related("recorded_by"))
    notes = CaseNote.objects.filter(case=case).select_related("author")
    if claimant is not None:
        events = events.filter(claimant=claimant)
        changes = changes.filter(claimant=claimant)
        notes = notes.none()

    def text_of(record: CaseEvent | ClaimantStatusChange | CaseNote, name: str) -> str | None:
        if keyring is None:
            return None
        return record.decrypt(keyring)[name]

    entries = [
        TimelineEntry(e.happened_on, e.recorded_at, "event", e.get_kind_display(), text_of(e, "text"),
                      e.claimant_id, e.recorded_by.get_username(), event_id=e.pk, approximate=e.approximate)
        for e in events
    ]
    entries += [
        TimelineEntry(c.effective_on, c.recorded_at, "status",
                      c.get_status_display() if c.previous else str(_("added to the claim")), text_of(c, "note"),
                      c.claimant_id, c.recorded_by.get_username(),
                      {"reason": c.get_reason_display() if c.reason else ""})
        for c in changes
    ]
    entries += [
        TimelineEntry(timezone.localtime(n.created_at).date(), n.created_at, "note", "", text_of(n, "text"),
                      None, n.author.get_username())
        for n in notes
    ]
    entries.sort(key=lambda entry: (entry.on, entry.at))
    return entries


def tasks_of(*, case: Case) -> QuerySet[Task]:
    return Task.objects.filter(case=case).select_related("assignee", "done_by").order_by(
        "done_at", "due_on", "id"
    )


# --- the dashboard ---------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Dashboard:
    cases: list[CaseRow]
    tasks: list[tuple[Task, str | None]]
    follow_ups: list[tuple[Claimant, str | None]]
    overdue_tasks: int


DASHBOARD_ROWS = 10


def dashboard(*, actor: User, keyring: KeyRing | None) -> Dashboard:
    """My cases, the tasks due (mine, within a week or late), and the claimants of my cases no one
    has spoken with for DEFENSOR_FOLLOW_UP_DAYS. Only cases the actor holds count."""
    my_cases = case_list(actor=actor, keyring=keyring, per_page=DASHBOARD_ROWS).rows
    organisation = actor.membership.organisation
    today = timezone.localdate()
    mine = Task.objects.filter(held_by(actor, "case__data_key_id"), case__organisation=organisation,
                               case__erased_at__isnull=True, assignee=actor, done_at__isnull=True)
    tasks = list(
        mine.filter(Q(due_on__isnull=True) | Q(due_on__lte=today + timedelta(days=7)))
        .select_related("case")
        .order_by("due_on", "id")[:DASHBOARD_ROWS]
    )
    overdue = mine.filter(due_on__lt=today).count()
    # Walks the claimants in order of their last contact (its index) and stops at the tenth due.
    # The organisation is compared as "organisation + 0" so that SQLite, without statistics, does
    # not start from the organisation's cases instead (every case, then a sort: 1 s at 100,000).
    follow_ups = list(
        Claimant.objects.alias(scope=F("case__organisation_id") + 0)
        .filter(held_by(actor, "case__data_key_id"), scope=organisation.pk, case__erased_at__isnull=True,
                status__in=OPEN_STATUSES, merged_into__isnull=True, last_contact_on__lt=follow_up_before())
        .select_related("case", "person")
        .order_by("last_contact_on", "id")[:DASHBOARD_ROWS]
    )
    if keyring is not None:
        keyring.prefetch({t.case.data_key_id for t in tasks} | {c.person.data_key_id for c in follow_ups})

    def opened(record: Task | Claimant, key_id: UUID, name: str) -> str | None:
        if keyring is None or not keyring.opened(key_id):
            return None
        target = record if isinstance(record, Task) else record.person
        return target.decrypt(keyring)[name]

    return Dashboard(
        cases=my_cases,
        tasks=[(t, opened(t, t.case.data_key_id, "title")) for t in tasks],
        follow_ups=[(c, opened(c, c.person.data_key_id, "full_name")) for c in follow_ups],
        overdue_tasks=overdue,
    )


@dataclass(frozen=True, repr=False)
class DeadlineRow:
    deadline: Deadline
    title: str  # the rule's title in the reader's language
    citation: str
    restorable: bool  # if missed, the court may restore the period on a motion
    verify: bool  # the rule's text is not confirmed: "verify with counsel"
    left: bool  # the claimant left the claim: nothing to keep

    @property
    def approximate(self) -> bool:
        """Counted from a date given roughly (from its earliest possible day)."""
        return self.deadline.event.approximate

    @property
    def overdue(self) -> bool:
        return self.deadline.met_on is None and not self.left and self.deadline.due_on < timezone.localdate()


def deadlines_of(*, case: Case, language: str) -> list[DeadlineRow]:
    """The case's due dates (its own and each claimant's), soonest first."""
    from defensor.deadlines.rules import rule_shown

    # Not those of a membership folded into another by a merge, nor of someone removed as added by
    # mistake (listed as "left the claim" they would read as a withdrawal).
    found = (Deadline.objects.filter(case=case).exclude(claimant__merged_into__isnull=False)
             .exclude(claimant__status=ClaimantStatus.REMOVED)
             .select_related("event", "met_event", "met_by", "claimant")
             .order_by("due_on", "id"))
    rows = []
    for d in found:
        shown = rule_shown(d.rule_id, language)
        rows.append(DeadlineRow(
            d, shown.title, shown.citation, restorable=shown.restorable, verify=shown.verify,
            left=d.claimant is not None and d.claimant.status not in OPEN_STATUSES,
        ))
    return rows
