"""Reads of submissions for triage: only the acting user's organisation, only for those who may
triage. Listing uses plaintext operational fields; what the person wrote is decrypted in memory
for the page being shown, with the reader's key ring."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.accounts.selectors import team_with
from defensor.intake import services, urgency
from defensor.intake.forms import display_answer
from defensor.intake.models import OPEN_STATUSES, Status, Submission, Urgency
from defensor.intake.questionnaire import Question, default_questionnaire
from defensor.keys import crypto
from defensor.keys.keyring import KeyRing, NoAccess

ORDERS = {
    "urgency": ("-urgency", "received_at"),
    "oldest": ("received_at",),
    "newest": ("-received_at",),
}


@dataclass(frozen=True)
class InboxFilter:
    statuses: tuple[str, ...] = tuple(s.value for s in OPEN_STATUSES)
    assigned: str = ""  # "" anyone, "me", "nobody", or a user id
    channel: str = ""
    min_urgency: int = 0
    held_only: bool = False
    order: str = "urgency"


def inbox_for(*, actor: User, filters: InboxFilter) -> QuerySet[Submission]:
    require_permission(actor, Perm.INTAKE_TRIAGE)
    # No join here: with one, every row skipped on the way to a deep page is read in full.
    # Assignees' names come from team_names().
    submissions = Submission.objects.filter(organisation=actor.membership.organisation, withdrawn_at__isnull=True)
    if filters.statuses:
        submissions = submissions.filter(status__in=filters.statuses)
    if filters.assigned == "me":
        submissions = submissions.filter(assigned_to=actor)
    elif filters.assigned == "nobody":
        submissions = submissions.filter(assigned_to__isnull=True)
    elif filters.assigned.isdigit():
        submissions = submissions.filter(assigned_to_id=int(filters.assigned))
    if filters.channel:
        submissions = submissions.filter(channel=filters.channel)
    if filters.min_urgency:
        submissions = submissions.filter(urgency__gte=filters.min_urgency)
    if filters.held_only:
        submissions = submissions.filter(held_for_review=True)
    return submissions.order_by(*ORDERS.get(filters.order, ORDERS["urgency"]), "pk")


def oldest_unanswered(*, actor: User) -> datetime | None:
    """When the longest-waiting request arrived that nobody has answered or decided on yet."""
    require_permission(actor, Perm.INTAKE_TRIAGE)
    return (
        Submission.objects.filter(
            organisation=actor.membership.organisation, withdrawn_at__isnull=True, answered_at__isnull=True,
            status__in=OPEN_STATUSES,
        )
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )


# The overview counts up to this many requests per urgency level ("more than 1,000" beyond): a
# count stops there, so the overview costs the same with a hundred requests or a hundred thousand.
WAITING_COUNT_CAP = 1_000


@dataclass(frozen=True)
class WaitingLevel:
    level: int
    label: str
    count: int
    more: bool  # more than WAITING_COUNT_CAP


@dataclass(frozen=True)
class Waiting:
    """Open requests by urgency (most urgent first) and when the oldest unanswered one arrived:
    counts and a time, nothing a person wrote."""

    levels: list[WaitingLevel]
    oldest_unanswered: datetime | None

    @property
    def any(self) -> bool:
        return any(level.count for level in self.levels)


def waiting_requests(*, actor: User) -> Waiting:
    """For the overview: per urgency level, a count over the inbox's (organisation, urgency, ...,
    status, withdrawal) index that stops at WAITING_COUNT_CAP; and the oldest unanswered request."""
    require_permission(actor, Perm.INTAKE_TRIAGE)
    waiting = Submission.objects.filter(
        organisation=actor.membership.organisation, status__in=OPEN_STATUSES, withdrawn_at__isnull=True
    ).order_by()
    levels = []
    for level in reversed(Urgency):
        counted = waiting.filter(urgency=level.value)[:WAITING_COUNT_CAP + 1].count()
        levels.append(WaitingLevel(level=level.value, label=str(level.label), count=min(counted, WAITING_COUNT_CAP),
                                   more=counted > WAITING_COUNT_CAP))
    return Waiting(levels=levels, oldest_unanswered=oldest_unanswered(actor=actor))


def submission_for(*, actor: User, submission_id: Any) -> Submission:
    require_permission(actor, Perm.INTAKE_TRIAGE)
    submission = (
        Submission.objects.filter(organisation=actor.membership.organisation, pk=submission_id)
        .select_related("assigned_to", "case")
        .first()
    )
    if submission is None:
        raise Http404
    return submission


def submissions_by_ids(*, actor: User, ids: Iterable[str]) -> list[Submission]:
    require_permission(actor, Perm.INTAKE_TRIAGE)
    return list(
        Submission.objects.filter(organisation=actor.membership.organisation, pk__in=list(ids)).order_by("pk")
    )


def team_names(*, actor: User) -> dict[int, str]:
    """Login names of the actor's organisation, by user id (for showing who a request is assigned to)."""
    return dict(
        User.objects.filter(membership__organisation=actor.membership.organisation).values_list("pk", "username")
    )


def assignable_users(*, actor: User) -> QuerySet[User]:
    """Team members who can read requests (hold the intake key)."""
    return team_with(organisation=actor.membership.organisation, perm=Perm.INTAKE_TRIAGE).order_by("username")


@dataclass
class Summary:
    """What a triager sees of a request in the inbox list."""

    name: str = field(default="", repr=False)  # personal: never in a traceback
    category: str = ""
    region: str = ""
    reasons: list[str] = field(default_factory=list)
    readable: bool = True


def summaries(*, submissions: Iterable[Submission], keyring: KeyRing | None) -> dict[Any, Summary]:
    """Decrypt the page's requests in memory (nothing is kept) for the list's short summaries."""
    questionnaire = default_questionnaire()
    questions = {q.id: q for q in questionnaire.questions()}
    today = timezone.localdate()
    shown: dict[Any, Summary] = {}
    for submission in submissions:
        if keyring is None or submission.sealed_key is None:
            shown[submission.pk] = Summary(readable=False)
            continue
        try:
            answers = services.submission_answers(submission=submission, keyring=keyring)
        except (crypto.Tampered, NoAccess, KeyError):
            shown[submission.pk] = Summary(readable=False)
            continue
        shown[submission.pk] = Summary(
            name=str(answers.get("full_name") or answers.get("address_as") or ""),
            category=_shown(questions.get("service_category"), answers.get("service_category")),
            region=_shown(questions.get("service_region"), answers.get("service_region")),
            reasons=urgency.assess(answers, today=today).reason_labels,
        )
    return shown


def _shown(question: Question | None, value: Any) -> str:
    return (display_answer(question, value) or "") if question is not None else ""


# --- what the receipt holder sees ---------------------------------------------------------------

RECEIVED, BEING_WORKED_ON, ANSWERED = "received", "being_worked_on", "answered"

# Triage states a lawyer is visibly acting on. Rejected and spam are deliberately absent: the
# receipt holder may be someone who forced the phrase out of the person, and a verdict would tell
# them (or alarm the person) more than "received"; the team says what it decided in a reply.
# Who handles the request and internal notes never reach this page at all.
_WORKED_ON = frozenset({Status.IN_REVIEW, Status.NEEDS_INFO, Status.ACCEPTED, Status.REFERRED})


def receipt_progress(*, submission: Submission) -> str:
    """The request's state in plain words for the person who holds its receipt: answered when a
    lawyer's own reply (not the automatic acknowledgement) is the latest message, being worked on
    when a lawyer has taken it up, otherwise received."""
    last_from_team = (
        submission.messages.filter(automatic=False).order_by("-created_at", "-pk")
        .values_list("from_team", flat=True).first()
    )
    if last_from_team:
        return ANSWERED
    if submission.status in _WORKED_ON:
        return BEING_WORKED_ON
    return RECEIVED
