"""Writes to cases: the case itself (with optimistic locking), its events, notes and tasks,
its claimants and their status history, and who may read it. Every write is audited in its own
transaction; texts are sealed under the case's data key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.access.services import (
    has_record_access,
    record_access_grant,
    record_access_grant_all,
    record_access_revoke_all,
    record_erase,
    record_holders,
    record_key_create,
    record_sealer,
    require_record_access,
)
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission, require_permission
from defensor.accounts.selectors import team_with
from defensor.audit.services import log_action
from defensor.cases.models import (
    PRESSURE_REASONS,
    Case,
    CaseEvent,
    CaseFile,
    CaseKind,
    CaseNote,
    CaseOutcome,
    CaseStage,
    Claimant,
    ClaimantStatus,
    ClaimantStatusChange,
    EventKind,
    Task,
    WithdrawalReason,
)
from defensor.cases.selectors import held_by
from defensor.cases.signals import files_carried
from defensor.core.errors import DefensorError, InvalidOperation
from defensor.core.models import Organisation
from defensor.deadlines.services import case_deadlines_recompute, case_deadlines_settle, event_deadlines_recompute
from defensor.intake.models import Attachment, Submission
from defensor.keys.keyring import KeyRing
from defensor.keys.records import RecordSealer
from defensor.people.models import Person


class NotAGroupCase(DefensorError):
    user_message = _("Requests can be added only to a group claim.")


class SingleClaimHasItsClaimant(NotAGroupCase):
    user_message = _("This claim is not a group claim and already has its claimant: make it a group claim first.")


def _in_the_claim(case: Case) -> QuerySet[Claimant]:
    """The case's claimants that make it one claimant's or several people's claim: not one folded
    into another by a merge, nor one removed as added by mistake."""
    return Claimant.objects.filter(case=case, merged_into__isnull=True).exclude(status=ClaimantStatus.REMOVED)


class StaleCase(DefensorError):
    user_message = _(
        "Someone else changed this case while you were editing it. Their version is shown; "
        "what you typed is kept below — check it and save again."
    )


class StatusUnchanged(DefensorError):
    user_message = _("The claimant already has this status.")


class StatusNotAllowed(DefensorError):
    user_message = _(
        "This change is not possible from the claimant's current status (someone who withdrew or was "
        "dismissed can only be reinstated)."
    )


class StatusDateInFuture(DefensorError):
    user_message = _("A status change cannot be dated in the future.")


class StatusDateBeforeCurrent(DefensorError):
    user_message = _(
        "The claimant's current status is dated later than this. Record changes in the order they happened."
    )


# From each status, where a claimant can go. Leaving (withdrawn, dismissed) is undone only by
# reinstating; "reinstated" is in the claim again, like "active". Someone added by mistake is
# removed (not a withdrawal: no reason, never counted as one) and, if that was a mistake too,
# goes back into the claim as active.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimantStatus.ACTIVE: frozenset({ClaimantStatus.PAUSED, ClaimantStatus.WITHDRAWN, ClaimantStatus.DISMISSED,
                                      ClaimantStatus.REMOVED}),
    ClaimantStatus.PAUSED: frozenset({ClaimantStatus.ACTIVE, ClaimantStatus.WITHDRAWN, ClaimantStatus.DISMISSED,
                                      ClaimantStatus.REMOVED}),
    ClaimantStatus.WITHDRAWN: frozenset({ClaimantStatus.REINSTATED}),
    ClaimantStatus.DISMISSED: frozenset({ClaimantStatus.REINSTATED}),
    ClaimantStatus.REINSTATED: frozenset({ClaimantStatus.PAUSED, ClaimantStatus.WITHDRAWN, ClaimantStatus.DISMISSED,
                                          ClaimantStatus.REMOVED}),
    ClaimantStatus.REMOVED: frozenset({ClaimantStatus.ACTIVE}),
}


class ReasonRequired(DefensorError):
    user_message = _("Say why the claimant withdraws: of their own will, or under which pressure.")


class NoClaimantsChosen(DefensorError):
    user_message = _("Choose at least one claimant.")


class DuplicateCaseNumber(DefensorError):
    user_message = _("A case with this number already exists.")


@transaction.atomic
def case_open(
    *, opened_by: User, keyring: KeyRing, title: str, number: str = "", summary: str = "", group: bool = False,
    kind: str = CaseKind.OTHER, court: str = "", court_number: str = "",
) -> Case:
    """Open a case; without a number it gets the next one of the year (2026-0001, 2026-0002, …)."""
    require_permission(opened_by, Perm.CASES_OPEN)
    organisation = opened_by.membership.organisation
    sealer = record_key_create(organisation=organisation, keyring=keyring)
    case = Case(organisation=organisation, number=number or _next_number(organisation), opened_by=opened_by,
                lead=opened_by, group=group, kind=CaseKind(kind))
    case.encrypt(sealer, title=title, summary=summary, court=court or None, court_number=court_number or None)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as error:  # the number is taken (perhaps by a colleague a moment earlier)
        raise DuplicateCaseNumber() from error
    shared_with = []
    if not has_permission(opened_by, Perm.CASES_SHARE):
        # A paralegal's case is also the lawyers' (and administrators'): otherwise nobody who may
        # share it would ever see it, and it would be lost with the paralegal's account.
        sharers = team_with(organisation=organisation, perm=Perm.CASES_SHARE).exclude(pk=opened_by.pk)
        for user in sharers.order_by("pk"):
            record_access_grant(material=sealer.material, to_user=user, keyring=keyring)
            shared_with.append(user.pk)
    log_action(action="case.opened", actor=opened_by, target=case,
               details={"group": group, "kind": case.kind, "shared_with": shared_with})
    return case


@transaction.atomic
def case_update(
    *, case: Case, edited_by: User, keyring: KeyRing, version: int, title: str, summary: str, kind: str,
    stage: str, outcome: str, court: str, court_number: str, group: bool, lead_id: int | None = None,
) -> Case:
    """Save an edit made on ``version`` of the case. If someone saved another edit since, nothing
    is written and StaleCase is raised: the editor sees their colleague's version and their own.
    ``lead_id``: the responsible lawyer (None: unchanged), one who holds the case and works on cases."""
    require_permission(edited_by, Perm.CASES_OPEN)
    require_record_access(user=edited_by, material=case.data_key)
    current = Case.objects.select_for_update().get(pk=case.pk)
    if current.version != version:
        raise StaleCase()
    changed = [
        name for name, value in (("kind", kind), ("stage", stage), ("outcome", outcome), ("group", group))
        if getattr(current, name) != value
    ]
    if not group and current.group and _in_the_claim(current).count() > 1:
        raise InvalidOperation(_("A case with several claimants stays a group claim."))
    if lead_id is not None and lead_id != current.lead_id:
        lead = next((u for u in record_holders(material=current.data_key) if u.pk == lead_id), None)
        if lead is None or not has_permission(lead, Perm.CASES_WORK):
            raise InvalidOperation(_("The responsible lawyer must be someone who works on this case."))
        current.lead = lead
        changed.append("lead")
    current.kind, current.stage, current.outcome, current.group = (
        CaseKind(kind), CaseStage(stage), CaseOutcome(outcome), group,
    )
    if "stage" in changed:  # retention counts a closed case's years from the day it was closed
        current.closed_at = timezone.now() if current.stage == CaseStage.CLOSED else None
    current.encrypt(record_sealer(material=current.data_key, keyring=keyring), title=title, summary=summary,
                    court=court or None, court_number=court_number or None)
    current.version += 1
    current.save()
    if "kind" in changed:  # another procedure: other deadline rules
        case_deadlines_recompute(case=current)
    log_action(action="case.edited", actor=edited_by, target=current,
               details={"version": current.version, "changed": changed})
    return current


def _touch(case: Case) -> None:
    """Something happened in the case: it goes to the top of the lists (most recently changed first)."""
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())


@transaction.atomic
def case_read(*, reader: User, case: Case, where: str) -> None:
    """Record that a team member (or a partner) opened a case's pages: every read is audited."""
    log_action(action="case.read", actor=reader, target=case, details={"where": where})


def cases_listed(*, reader: User, cases: Sequence[int], where: str) -> None:
    """Record a list that showed case titles: one event per page (names shown go to people_read).
    An empty page records nothing (and opens no transaction)."""
    if not cases:
        return
    with transaction.atomic():
        log_action(action="case.read", actor=reader, details={"where": where, "cases": sorted(set(cases))})


def _next_number(organisation: Organisation) -> str:
    year = timezone.localdate().year
    # Serialised by the organisation row lock (two acceptances at once must not take one number).
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    # The highest number of the year (longer is higher: 2026-10000 after 2026-9999), one row read.
    last = (
        Case.objects.filter(organisation=organisation, number__regex=rf"^{year}-[0-9]+$")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    highest = int(last.split("-", 1)[1]) if last else 0
    return f"{year}-{highest + 1:04d}"


@transaction.atomic
def claimant_add(
    *, case: Case, person: Person, added_by: User, keyring: KeyRing, submission: Submission | None = None
) -> Claimant:
    """Add a person to a case. Everyone who works on the case may read the person's record."""
    require_permission(added_by, Perm.CASES_OPEN)
    require_record_access(user=added_by, material=case.data_key)
    require_record_access(user=added_by, material=person.data_key)
    # Two colleagues accepting two requests of one person into one case at once: one waits.
    case = Case.objects.select_for_update().get(pk=case.pk)
    existing = Claimant.objects.filter(case=case, person=person).first()
    if existing is not None:
        return existing
    if not case.group and _in_the_claim(case).exists():
        raise NotAGroupCase()
    today = timezone.localdate()
    claimant = Claimant.objects.create(case=case, person=person, added_by=added_by, submission=submission,
                                       status_on=today, last_contact_on=today)
    ClaimantStatusChange.objects.create(
        claimant=claimant, status=ClaimantStatus.ACTIVE, effective_on=today, recorded_by=added_by,
        data_key=case.data_key,
    )
    can_read = {user.pk for user in record_holders(material=person.data_key)}
    for user in record_holders(material=case.data_key):
        if user.pk not in can_read:
            record_access_grant(material=person.data_key, to_user=user, keyring=keyring)
    _touch(case)
    log_action(action="case.claimant_added", actor=added_by, target=case,
               details={"claimant": claimant.pk, "person": person.pk})
    return claimant


@transaction.atomic
def case_note_add(*, case: Case, author: User, keyring: KeyRing, text: str) -> CaseNote:
    require_permission(author, Perm.CASES_WORK)
    require_record_access(user=author, material=case.data_key)
    note = CaseNote(case=case, author=author)
    note.encrypt(record_sealer(material=case.data_key, keyring=keyring), text=text)
    note.save()
    _touch(case)
    log_action(action="case.note_added", actor=author, target=case, details={"note": note.pk})
    return note


@transaction.atomic
def case_event_add(
    *, case: Case, recorded_by: User, keyring: KeyRing, kind: str, happened_on: date, text: str = "",
    claimant: Claimant | None = None, approximate: bool = False, submission: Submission | None = None,
) -> CaseEvent:
    """Record what happened (to the case, or to one claimant). Speaking with a claimant moves
    their last contact date, which the dashboard's follow-ups are counted from. ``approximate``:
    the date is the earliest day it can be (the person gave it roughly); ``submission``: the
    request the fact was carried from."""
    require_permission(recorded_by, Perm.CASES_WORK)
    require_record_access(user=recorded_by, material=case.data_key)
    if claimant is not None and claimant.case_id != case.pk:
        raise InvalidOperation()
    event = CaseEvent(case=case, claimant=claimant, kind=EventKind(kind), happened_on=happened_on,
                      approximate=approximate, submission=submission, recorded_by=recorded_by)
    event.encrypt(record_sealer(material=case.data_key, keyring=keyring), text=text or None)
    event.save()
    if event.kind == EventKind.CONTACT and claimant is not None:
        _contact_moved(claimant, happened_on)
    deadlines = event_deadlines_recompute(event=event)
    _touch(case)
    log_action(action="case.event_added", actor=recorded_by, target=case,
               details={"event": event.pk, "kind": event.kind, "approximate": approximate,
                        "submission": str(submission.pk) if submission is not None else None,
                        "claimant": claimant.pk if claimant is not None else None,
                        "deadlines": [d.rule_id for d in deadlines]})
    return event


def events_moved_deadlines(*, events: Sequence[CaseEvent], case_id: int) -> None:
    """Events moved to another claimant (a merge, or its undoing): their due dates follow them,
    then which of the case's due dates are met is settled once."""
    for event in events:
        event_deadlines_recompute(event=event, settle=False)
    case_deadlines_settle(case_id=case_id)


# A claimant has one of these (their own order, the order they refused, their refusal): recording
# it again for several claimants at once, or merging, never doubles it.
ONE_PER_CLAIMANT = frozenset({EventKind.DISMISSAL_ORDER, EventKind.ORDER_RECEIVED, EventKind.REFUSAL})


@transaction.atomic
def case_events_add_for_claimants(
    *, case: Case, claimant_ids: Sequence[int], recorded_by: User, keyring: KeyRing, kind: str, happened_on: date,
    approximate: bool = False, text: str = "",
) -> tuple[list[CaseEvent], list[Claimant]]:
    """Record the same event for each of the chosen claimants of a case, all in one transaction,
    each with its own due dates. A claimant who already has an event that is one per claimant
    (their dismissal order…) of this kind is skipped and returned, not given a second one.
    Returns (the events recorded, the claimants skipped)."""
    require_permission(recorded_by, Perm.CASES_WORK)
    require_record_access(user=recorded_by, material=case.data_key)
    if not claimant_ids:
        raise NoClaimantsChosen()
    event_kind = EventKind(kind)
    Case.objects.select_for_update().filter(pk=case.pk).first()
    claimants = list(Claimant.objects.filter(case=case, pk__in=set(claimant_ids), merged_into__isnull=True)
                     .order_by("pk"))
    if len(claimants) != len(set(claimant_ids)):
        raise InvalidOperation()
    having: set[int] = set()
    if event_kind in ONE_PER_CLAIMANT:
        having = set(CaseEvent.objects.filter(claimant__in=claimants, kind=event_kind)
                     .values_list("claimant_id", flat=True))
    sealer = record_sealer(material=case.data_key, keyring=keyring)
    events = []
    for claimant in claimants:
        if claimant.pk in having:
            continue
        event = CaseEvent(case=case, claimant=claimant, kind=event_kind, happened_on=happened_on,
                          approximate=approximate, recorded_by=recorded_by)
        event.encrypt(sealer, text=text or None)
        events.append(event)
    CaseEvent.objects.bulk_create(events)
    deadlines = []
    for event in events:
        if event.kind == EventKind.CONTACT and event.claimant is not None:
            _contact_moved(event.claimant, happened_on)
        deadlines += event_deadlines_recompute(event=event, settle=False)
    if events:
        case_deadlines_settle(case_id=case.pk)
    skipped = [claimant for claimant in claimants if claimant.pk in having]
    _touch(case)
    log_action(action="case.events_added", actor=recorded_by, target=case, details={
        "kind": event_kind.value, "approximate": approximate, "events": [e.pk for e in events],
        "claimants": [e.claimant_id for e in events], "skipped": [c.pk for c in skipped],
        "deadlines": sorted({d.rule_id for d in deadlines}),
    })
    return events, skipped


@transaction.atomic
def case_event_update(
    *, event: CaseEvent, edited_by: User, keyring: KeyRing, happened_on: date, text: str | None = None,
    approximate: bool | None = None,
) -> CaseEvent:
    """Correct when something happened (and, optionally, what, and whether the date is only
    approximate): its due dates are computed again, for its claimant only."""
    require_permission(edited_by, Perm.CASES_WORK)
    require_record_access(user=edited_by, material=event.case.data_key)
    locked = CaseEvent.objects.select_for_update().select_related("case").get(pk=event.pk)
    previous, was_approximate = locked.happened_on, locked.approximate
    locked.happened_on = happened_on
    if approximate is not None:
        locked.approximate = approximate
    if text is not None:
        locked.encrypt(record_sealer(material=locked.case.data_key, keyring=keyring), text=text or None)
    locked.save()
    if locked.kind == EventKind.CONTACT and locked.claimant is not None:
        _contact_moved(locked.claimant, happened_on)
    deadlines = event_deadlines_recompute(event=locked)
    _touch(locked.case)
    log_action(action="case.event_changed", actor=edited_by, target=locked.case, details={
        "event": locked.pk, "from": previous.isoformat(), "to": happened_on.isoformat(),
        "deadlines": [d.rule_id for d in deadlines],
        **({"approximate": locked.approximate} if locked.approximate != was_approximate else {}),
    })
    return locked


@transaction.atomic
def case_files_add(
    *, case: Case, attachments: Sequence[Attachment], added_by: User, claimant: Claimant | None = None,
    keyring: KeyRing | None = None,
) -> list[CaseFile]:
    """Carry files a person attached to their request into the case (a file already there is not
    added twice). The files stay sealed where intake stored them; with ``keyring`` (the accept's),
    ``signals.files_carried`` is sent in this transaction, so that they become evidence at once."""
    require_permission(added_by, Perm.CASES_WORK)
    require_record_access(user=added_by, material=case.data_key)
    present = set(
        CaseFile.objects.filter(case=case, attachment__in=attachments).values_list("attachment_id", flat=True)
    )
    added = CaseFile.objects.bulk_create([
        CaseFile(case=case, claimant=claimant, attachment=attachment, added_by=added_by)
        for attachment in attachments if attachment.pk not in present
    ])
    if added:
        _touch(case)
        log_action(action="case.files_added", actor=added_by, target=case, details={
            "files": [str(f.attachment_id) for f in added], "claimant": claimant.pk if claimant is not None else None,
        })
        if keyring is not None:
            files_carried.send(sender=CaseFile, case=case, files=added, carried_by=added_by, keyring=keyring)
    return added


def _contact_moved(claimant: Claimant, on: date) -> None:
    Claimant.objects.filter(pk=claimant.pk).filter(
        models.Q(last_contact_on__isnull=True) | models.Q(last_contact_on__lt=on)
    ).update(last_contact_on=on)


@transaction.atomic
def case_task_add(
    *, case: Case, created_by: User, keyring: KeyRing, title: str, assignee: User | None = None,
    due_on: date | None = None,
) -> Task:
    require_permission(created_by, Perm.CASES_WORK)
    require_record_access(user=created_by, material=case.data_key)
    if assignee is not None and not has_record_access(user=assignee, material=case.data_key):
        raise InvalidOperation(_("Tasks can be given only to people who work on the case."))
    task = Task(case=case, assignee=assignee, due_on=due_on, created_by=created_by)
    task.encrypt(record_sealer(material=case.data_key, keyring=keyring), title=title)
    task.save()
    _touch(case)
    log_action(action="case.task_added", actor=created_by, target=case,
               details={"task": task.pk, "assignee": assignee.pk if assignee is not None else None})
    return task


@transaction.atomic
def case_task_done(*, task: Task, done_by: User) -> Task:
    require_permission(done_by, Perm.CASES_WORK)
    require_record_access(user=done_by, material=task.case.data_key)
    updated = Task.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=timezone.now(), done_by=done_by)
    if updated:
        log_action(action="case.task_done", actor=done_by, target=task.case, details={"task": task.pk})
    task.refresh_from_db()
    return task


# --- claimants -----------------------------------------------------------------------------------


def _status_change(
    claimant: Claimant, *, recorded_by: User, status: ClaimantStatus, effective_on: date, reason: str, note: str,
    incident: bool, sealer: RecordSealer, joined_only: bool,
) -> tuple[ClaimantStatusChange, bool]:
    """One claimant's change (the caller holds the case lock and has checked access), and whether
    it was also recorded as an incident."""
    if claimant.status == status:
        raise StatusUnchanged()
    if status not in STATUS_TRANSITIONS[claimant.status]:
        raise StatusNotAllowed()
    if effective_on > timezone.localdate():
        raise StatusDateInFuture()
    # Changes go in the order they happened, so the one recorded last is the current status. Only
    # the line that says when they were added to the claim may be older than what is recorded next
    # (the team often hears of a withdrawal after the fact, or enters a claim after people joined).
    if claimant.status_on is not None and effective_on < claimant.status_on and not joined_only:
        raise StatusDateBeforeCurrent()
    if status == ClaimantStatus.WITHDRAWN and not reason:
        raise ReasonRequired()
    kept_reason = WithdrawalReason(reason) if status == ClaimantStatus.WITHDRAWN else ""
    change = ClaimantStatusChange(claimant=claimant, status=status, previous=claimant.status,
                                  effective_on=effective_on, reason=kept_reason, recorded_by=recorded_by)
    change.encrypt(sealer, note=note or None)
    change.save()
    Claimant.objects.filter(pk=claimant.pk).update(status=status, status_on=effective_on)
    claimant.status, claimant.status_on = status, effective_on
    if incident and kept_reason in PRESSURE_REASONS:
        event = CaseEvent(case_id=claimant.case_id, claimant=claimant, kind=EventKind.PRESSURE,
                          happened_on=effective_on, status_change=change, recorded_by=recorded_by)
        event.encrypt(sealer, text=note or None)
        event.save()
        return change, True
    return change, False


@transaction.atomic
def claimants_status_set(
    *, case: Case, claimant_ids: Sequence[int], recorded_by: User, keyring: KeyRing, status: str,
    effective_on: date, reason: str = "", note: str = "", incident: bool = False,
) -> list[ClaimantStatusChange]:
    """Change the status of one or many claimants of a case, all or none: a claimant of another
    case, or one who already has the status, refuses the whole change. A withdrawal needs its
    reason; under pressure, it can also be recorded as an incident (an event of the case)."""
    require_permission(recorded_by, Perm.CASES_OPEN)
    require_record_access(user=recorded_by, material=case.data_key)
    if not claimant_ids:
        raise NoClaimantsChosen()
    target = ClaimantStatus(status)
    Case.objects.select_for_update().filter(pk=case.pk).first()
    # A membership folded into another by a merge is no claimant any more: a form naming it is refused.
    claimants = list(Claimant.objects.filter(case=case, pk__in=set(claimant_ids), merged_into__isnull=True)
                     .order_by("pk"))
    if len(claimants) != len(set(claimant_ids)):
        raise InvalidOperation()
    if target == ClaimantStatus.ACTIVE and not Case.objects.get(pk=case.pk).group:
        returning = [c.pk for c in claimants if c.status == ClaimantStatus.REMOVED]
        if returning and (len(returning) > 1 or _in_the_claim(case).exists()):
            raise SingleClaimHasItsClaimant()
    sealer = record_sealer(material=case.data_key, keyring=keyring)
    changed_before = set(
        ClaimantStatusChange.objects.filter(claimant__in=claimants).exclude(previous="").values_list(
            "claimant_id", flat=True
        )
    )
    results = [
        _status_change(claimant, recorded_by=recorded_by, status=target, effective_on=effective_on, reason=reason,
                       note=note, incident=incident, sealer=sealer, joined_only=claimant.pk not in changed_before)
        for claimant in claimants
    ]
    changes = [change for change, _incident in results]
    _touch(case)
    log_action(action="case.claimant_status", actor=recorded_by, target=case, details={
        "claimants": [c.pk for c in claimants], "status": target.value, "reason": changes[0].reason or None,
        "effective_on": effective_on.isoformat(), "incident": any(recorded for _change, recorded in results),
    })
    return changes


# --- who may read the case ------------------------------------------------------------------------


@transaction.atomic
def case_share(*, case: Case, to_user: User, shared_by: User, keyring: KeyRing) -> None:
    """Give a colleague (or a partner lawyer) the case and its claimants' records: a fixed number
    of queries however many claimants, one audit event naming the keys given and one saying how
    many people's records came with the case."""
    require_permission(shared_by, Perm.CASES_SHARE)
    require_record_access(user=shared_by, material=case.data_key)
    Case.objects.select_for_update().filter(pk=case.pk).first()  # a claimant added meanwhile is not missed
    if not has_permission(to_user, Perm.CASES_WORK):
        raise InvalidOperation(_("This person's role does not work on cases."))
    people = list(Person.objects.filter(claims__case=case, erased_at__isnull=True).select_related("data_key"))
    given = set(record_access_grant_all(materials=[case.data_key, *(person.data_key for person in people)],
                                        to_user=to_user, keyring=keyring))
    log_action(action="case.shared", actor=shared_by, target=case, details={
        "user": to_user.pk, "people": sum(1 for person in people if str(person.data_key_id) in given),
    })


@transaction.atomic
def case_unshare(*, case: Case, user: User, unshared_by: User) -> None:
    """Take the case away at once (their next request no longer finds it), and the records of its
    claimants, except those the user still reaches through another case (a fixed number of
    queries however many claimants)."""
    require_permission(unshared_by, Perm.CASES_SHARE)
    require_record_access(user=unshared_by, material=case.data_key)
    if user.pk == unshared_by.pk:
        raise InvalidOperation(_("You cannot take a case away from yourself."))
    Case.objects.select_for_update().filter(pk=case.pk).first()  # two revocations at once: one waits
    if user.pk == case.opened_by_id and not has_permission(unshared_by, Perm.USERS_MANAGE):
        raise InvalidOperation(_("Only an administrator can take a case away from the person who opened it."))
    # The one revoking holds the case and may share it, and cannot revoke themselves: the case
    # always keeps someone who can give it on.
    still_reached = Claimant.objects.filter(
        held_by(user, "case__data_key_id"), case__erased_at__isnull=True
    ).exclude(case=case).values("person_id")
    people = list(Person.objects.filter(claims__case=case).exclude(pk__in=still_reached).select_related("data_key"))
    taken = set(record_access_revoke_all(materials=[case.data_key, *(person.data_key for person in people)],
                                         user=user, revoked_by=unshared_by))
    log_action(action="case.unshared", actor=unshared_by, target=case, details={
        "user": user.pk, "people": sum(1 for person in people if str(person.data_key_id) in taken),
    })


def _case_shred(case: Case, erased_by: User | None) -> None:
    record_erase(material=case.data_key, erased_by=erased_by)
    # The key is gone (crypto-shredding); the ciphertexts under it are blanked as well.
    CaseNote.objects.filter(case=case).update(text=None)
    CaseEvent.objects.filter(case=case).update(text=None)
    Task.objects.filter(case=case).update(title=None)
    ClaimantStatusChange.objects.filter(claimant__case=case).update(note=None)
    Case.objects.filter(pk=case.pk).update(title=None, summary=None, court=None, court_number=None,
                                           erased_at=timezone.now())


@transaction.atomic
def case_erase(*, case: Case, erased_by: User) -> None:
    require_permission(erased_by, Perm.CASES_OPEN)
    require_record_access(user=erased_by, material=case.data_key)
    _case_shred(case, erased_by)
    log_action(action="case.erased", actor=erased_by, target=case)


class LegalHoldRefused(DefensorError):
    user_message = _("An erased case cannot be put on legal hold.")


@transaction.atomic
def case_legal_hold_set(*, case: Case, hold: bool, set_by: User) -> Case:
    """Put a case on legal hold (retention never erases it) or release it. A lawyer or an
    administrator who holds the case (cases.share: the people who answer for who may read it)."""
    require_permission(set_by, Perm.CASES_SHARE)
    require_record_access(user=set_by, material=case.data_key)
    current = Case.objects.select_for_update().get(pk=case.pk)
    if current.erased_at is not None:
        raise LegalHoldRefused()
    if current.legal_hold == hold:
        return current
    current.legal_hold, current.legal_hold_at = hold, timezone.now() if hold else None
    Case.objects.filter(pk=current.pk).update(legal_hold=current.legal_hold, legal_hold_at=current.legal_hold_at)
    log_action(action="case.legal_hold_set" if hold else "case.legal_hold_released", actor=set_by, target=current,
               details={"stage": current.stage})
    return current


class NotErasableOnSchedule(DefensorError):
    user_message = _("This case is not closed, is on legal hold or is already erased.")


@transaction.atomic
def case_erase_on_schedule(*, case: Case) -> Case:
    """Erase a closed case for the retention policy (the worker: no actor; ``retention`` decides
    when). Whatever the caller thinks, an open case, one on legal hold or one already erased is
    refused here, under the row's lock."""
    current = Case.objects.select_for_update().select_related("data_key", "organisation").get(pk=case.pk)
    if current.stage != CaseStage.CLOSED or current.legal_hold or current.erased_at is not None:
        raise NotErasableOnSchedule()
    _case_shred(current, None)
    log_action(action="case.erased", organisation=current.organisation, target=current,
               details={"by": "retention"})
    return current
