"""Merging person records, whole: the people (people.services.person_merge) and their claimant
memberships, in one transaction, and un-merging them exactly.

In a case where both are claimants, the duplicate's membership is folded into the kept one
(``Claimant.merged_into``, a ``ClaimantMerge`` row saying what the merge did): it is hidden from
the roster, the counts, the deadlines, the documents and the follow-ups; nothing is deleted. The
duplicate's events the kept claimant lacks move to the kept claimant (``CaseEvent.moved_from``);
the rest stay with the hidden membership, so merging never doubles an event. In a case where only
the duplicate is a claimant, the membership is moved to the kept person and remembers whose it
was (``Claimant.moved_from_person``, the first owner along a chain of merges).

Where the two memberships disagree on status, the lawyer chooses; keeping the duplicate's adds a
line to the kept claimant's history (recorded, so un-merging takes it out again)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from defensor.access.services import has_record_access, record_access_grant, record_holders
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import (
    Case,
    CaseEvent,
    Claimant,
    ClaimantMerge,
    ClaimantStatus,
    ClaimantStatusChange,
    WithdrawalReason,
)
from defensor.cases.services import ONE_PER_CLAIMANT, events_moved_deadlines
from defensor.core.errors import DefensorError, InvalidOperation
from defensor.keys.keyring import KeyRing
from defensor.people.models import Person
from defensor.people.services import NotMerged, person_merge, person_unmerge

KEEP_KEPT = "kept"
KEEP_SOURCE = "source"


@dataclass(frozen=True)
class StatusConflict:
    """A case where both records are claimants with different statuses: the lawyer chooses."""

    case: Case
    kept: Claimant  # the membership of the record kept
    source: Claimant  # the duplicate's

    @property
    def kept_reason(self) -> str:
        """Why the kept record's claimant withdrew, in words (the lawyer weighs it when choosing)."""
        return _reason_shown(self.kept)

    @property
    def source_reason(self) -> str:
        return _reason_shown(self.source)


def _reason_shown(claimant: Claimant) -> str:
    if claimant.status != ClaimantStatus.WITHDRAWN:
        return ""
    reason = _latest_reason(claimant)
    return str(WithdrawalReason(reason).label) if reason in WithdrawalReason.values else ""


class StatusChoiceNeeded(DefensorError):
    """The memberships disagree on status in these cases and no choice was given."""

    def __init__(self, conflicts: list[StatusConflict]) -> None:
        self.conflicts = conflicts
        numbers = ", ".join(sorted(c.case.number for c in conflicts))
        super().__init__(lazy(_choice_needed, str)(numbers))


def _choice_needed(numbers: str) -> str:
    return gettext(
        "Both records are claimants with different statuses in case(s) %(cases)s: choose which status to keep."
    ) % {"cases": numbers}


class MergeTouchesUnheldCase(InvalidOperation):
    user_message = _(
        "One of these people is a claimant in a case you do not work on: a colleague who holds it must merge them."
    )


class UnmergeOutOfOrder(InvalidOperation):
    user_message = _(
        "The record this one was merged into was itself merged into another one since: separate that merge first."
    )


class UnmergeBlockedByLaterMerge(InvalidOperation):
    user_message = _(
        "Another record merged later into the same person shares a case with this one: separate that record first."
    )


class UnmergeClash(InvalidOperation):
    user_message = _("This record was added to one of the same cases again since the merge: it cannot be separated.")


def _visible(person: Person) -> list[Claimant]:
    return list(Claimant.objects.filter(person=person, merged_into__isnull=True).select_related("case"))


def merge_check(*, source: Person, actor: User) -> None:
    """Refuse before asking anything if the duplicate is a claimant of a case the actor does not
    hold (its number is not theirs to see, nor its claim theirs to change)."""
    if not all(_holds(actor, claimant.case) for claimant in _visible(source)):
        raise MergeTouchesUnheldCase()


def merge_conflicts(*, source: Person, into: Person) -> list[StatusConflict]:
    """The cases where both records are claimants and their statuses differ."""
    kept = {c.case_id: c for c in _visible(into)}
    return [
        StatusConflict(case=claimant.case, kept=kept[claimant.case_id], source=claimant)
        for claimant in sorted(_visible(source), key=lambda c: c.case.number)
        if claimant.case_id in kept and kept[claimant.case_id].status != claimant.status
    ]


def _latest_reason(claimant: Claimant) -> str:
    latest = ClaimantStatusChange.objects.filter(claimant=claimant).order_by("-id").values_list("reason", flat=True)
    return latest.first() or ""


@transaction.atomic
def people_merge(
    *, source: Person, into: Person, merged_by: User, keyring: KeyRing, keep_status: Mapping[int, str],
) -> Person:
    """Merge the duplicate ``source`` into ``into``, memberships included (see the module).
    ``keep_status``: case id → "kept" or "source", for each case where the statuses differ;
    without it StatusChoiceNeeded names the cases."""
    require_permission(merged_by, Perm.CASES_OPEN)
    person_merge(source=source, into=into, merged_by=merged_by, keyring=keyring)  # checks and locks both
    merge_check(source=source, actor=merged_by)
    memberships = _visible(source)
    kept = {c.case_id: c for c in Claimant.objects.filter(person=into, merged_into__isnull=True)}
    conflicts = [
        StatusConflict(case=c.case, kept=kept[c.case_id], source=c) for c in memberships
        if c.case_id in kept and kept[c.case_id].status != c.status
        and keep_status.get(c.case_id) not in (KEEP_KEPT, KEEP_SOURCE)
    ]
    if conflicts:
        raise StatusChoiceNeeded(sorted(conflicts, key=lambda c: c.case.number))
    for claimant in sorted(memberships, key=lambda c: c.pk):
        case = claimant.case
        Case.objects.select_for_update().filter(pk=case.pk).first()
        if claimant.case_id in kept:
            _fold(claimant, kept[claimant.case_id], merged_by=merged_by,
                  keep_source=keep_status.get(case.pk) == KEEP_SOURCE)
        else:
            Claimant.objects.filter(pk=claimant.pk).update(
                person=into, moved_from_person_id=claimant.moved_from_person_id or source.pk)
            _team_reads(case, into, keyring)
            log_action(action="case.claimants_merged", actor=merged_by, target=case, details={
                "source": source.pk, "into": into.pk, "claimant": claimant.pk, "into_claimant": None,
                "events": [], "status": None,
            })
    return source


def _holds(user: User, case: Case) -> bool:
    return has_record_access(user=user, material=case.data_key)


def _team_reads(case: Case, person: Person, keyring: KeyRing) -> None:
    """Everyone who works on the case may read the claimant's record (as claimant_add gives)."""
    can_read = {user.pk for user in record_holders(material=person.data_key)}
    for user in record_holders(material=case.data_key):
        if user.pk not in can_read:
            record_access_grant(material=person.data_key, to_user=user, keyring=keyring)


def _fold(claimant: Claimant, kept: Claimant, *, merged_by: User, keep_source: bool) -> None:
    """Hide the duplicate's membership in the kept one; move the events the kept lacks."""
    theirs = list(CaseEvent.objects.filter(claimant=kept).values_list("kind", "happened_on"))
    kinds = {kind for kind, _on in theirs}
    days = set(theirs)
    moved = []
    for event in CaseEvent.objects.filter(claimant=claimant).order_by("happened_on", "id"):
        already = event.kind in kinds if event.kind in ONE_PER_CLAIMANT else (event.kind, event.happened_on) in days
        if already:
            continue  # the kept claimant has it: it stays with the hidden membership
        moved.append(event)
        kinds.add(event.kind)
        days.add((event.kind, event.happened_on))
    fold = ClaimantMerge(claimant=claimant, into=kept, merged_by=merged_by)
    if keep_source and claimant.status != kept.status:
        on = claimant.status_on or timezone.localdate()
        reason = _latest_reason(claimant) if claimant.status == ClaimantStatus.WITHDRAWN else ""
        change = ClaimantStatusChange.objects.create(  # no note: nothing to seal
            claimant=kept, status=claimant.status, previous=kept.status, effective_on=on, reason=reason,
            recorded_by=merged_by, data_key=kept.case.data_key)
        fold.status_change, fold.status_before, fold.status_on_before = change, kept.status, kept.status_on
        Claimant.objects.filter(pk=kept.pk).update(status=claimant.status, status_on=on)
    fold.save()
    Claimant.objects.filter(pk=claimant.pk).update(merged_into=kept)
    for event in moved:
        CaseEvent.objects.filter(pk=event.pk).update(claimant=kept, moved_from=claimant)
        event.claimant, event.moved_from = kept, claimant
    events_moved_deadlines(events=moved, case_id=kept.case_id)
    log_action(action="case.claimants_merged", actor=merged_by, target=kept.case, details={
        "source": claimant.person_id, "into": kept.person_id, "claimant": claimant.pk, "into_claimant": kept.pk,
        "events": [event.pk for event in moved], "status": KEEP_SOURCE if fold.status_change_id else KEEP_KEPT,
    })


def _merged_under(person: Person) -> set[int]:
    """``person`` and every record still merged into it, along chains."""
    found = {person.pk}
    frontier = {person.pk}
    while frontier:
        frontier = set(Person.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


@transaction.atomic
def people_unmerge(*, person: Person, unmerged_by: User) -> Person:
    """Undo a merge exactly: the duplicate's memberships shown again with their own events and
    statuses, the moved ones back to the duplicate. Merges are undone in the reverse order of a
    chain (A into B, then B into C: C's merge first)."""
    require_permission(unmerged_by, Perm.CASES_OPEN)
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.merged_into_id is None:
        raise NotMerged()
    into = Person.objects.get(pk=locked.merged_into_id)
    if into.merged_into_id is not None:
        raise UnmergeOutOfOrder()
    family = _merged_under(locked)
    moved = list(Claimant.objects.filter(person=into, moved_from_person__in=family).select_related("case"))
    folds = list(ClaimantMerge.objects.filter(claimant__person=locked).select_related(
        "claimant__case", "into", "status_change"))
    for case in {c.case for c in moved} | {f.claimant.case for f in folds}:
        if not _holds(unmerged_by, case):
            raise MergeTouchesUnheldCase()
    if ClaimantMerge.objects.filter(into__in=moved).exclude(claimant__person__in=family).exists():
        raise UnmergeBlockedByLaterMerge()
    person_unmerge(person=person, unmerged_by=unmerged_by)
    for fold in sorted(folds, key=lambda f: f.pk, reverse=True):
        _unfold(fold, unmerged_by=unmerged_by)
    for claimant in moved:
        try:
            with transaction.atomic():
                Claimant.objects.filter(pk=claimant.pk).update(
                    person=locked,
                    moved_from_person=None if claimant.moved_from_person_id == locked.pk
                    else claimant.moved_from_person_id)
        except IntegrityError as error:
            raise UnmergeClash() from error
        log_action(action="case.claimants_unmerged", actor=unmerged_by, target=claimant.case, details={
            "source": locked.pk, "into": into.pk, "claimant": claimant.pk, "into_claimant": None,
            "events": [], "status_restored": False,
        })
    return person


def _unfold(fold: ClaimantMerge, *, unmerged_by: User) -> None:
    hidden, kept = fold.claimant, fold.into
    events = list(CaseEvent.objects.filter(claimant=kept, moved_from=hidden))
    CaseEvent.objects.filter(pk__in=[e.pk for e in events]).update(claimant=hidden, moved_from=None)
    restored = False
    if fold.status_change is not None:
        latest = ClaimantStatusChange.objects.filter(claimant=kept).order_by("-id").values_list("pk", flat=True).first()
        if latest == fold.status_change.pk:  # nothing recorded since: as before, line and status
            Claimant.objects.filter(pk=kept.pk).update(status=fold.status_before, status_on=fold.status_on_before)
            CaseEvent.objects.filter(status_change=fold.status_change).update(status_change=None)
            fold.status_change.delete()
            restored = True
    Claimant.objects.filter(pk=hidden.pk).update(merged_into=None)
    fold.delete()
    for event in events:
        event.claimant, event.moved_from = hidden, None
    events_moved_deadlines(events=events, case_id=kept.case_id)
    log_action(action="case.claimants_unmerged", actor=unmerged_by, target=hidden.case, details={
        "source": hidden.person_id, "into": kept.person_id, "claimant": hidden.pk, "into_claimant": kept.pk,
        "events": [e.pk for e in events], "status_restored": restored,
    })


def status_choices_from(data: Mapping[str, str], conflicts: list[StatusConflict]) -> dict[int, str]:
    """The lawyer's choices from a posted form (``keep_<case id>``), for the cases that need one."""
    found = {}
    for conflict in conflicts:
        choice = data.get(f"keep_{conflict.case.pk}", "")
        if choice in (KEEP_KEPT, KEEP_SOURCE):
            found[conflict.case.pk] = choice
    return found
