"""Reads of due dates across the cases a team member holds: the overview's "overdue and next 14
days", and the calendar feed. One row per case, rule and date (a group claim's nine claimants
dismissed on one day share one due date): the case's number and the rule, never a name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from defensor.accounts.models import User
from defensor.cases.models import OPEN_STATUSES, CaseStage
from defensor.cases.selectors import held_by
from defensor.deadlines.models import Deadline, Reminder
from defensor.deadlines.rules import rule_shown

OVERVIEW_DAYS = 14
OVERVIEW_ROWS = 30
OVERDUE_ROWS = 10


@dataclass(frozen=True)
class DueGroup:
    case_id: int
    case_number: str
    rule_id: str
    title: str
    citation: str
    due_on: date
    claimants: int  # 0: a due date of the whole case
    verify: bool
    unpublished: bool
    restorable: bool
    approximate: bool = False  # counted from a date given roughly (its earliest possible day)

    @property
    def overdue(self) -> bool:
        return self.due_on < timezone.localdate()


def pending_deadlines() -> QuerySet[Deadline]:
    """Due dates not met, of cases still going, of claimants still in the claim (someone who
    withdrew, or was removed as added by mistake, has no period to keep; a membership folded into
    another by a merge has none either): every organisation's (the reminder run); people read
    pending_for."""
    return Deadline.objects.filter(
        Q(claimant__isnull=True) | Q(claimant__status__in=OPEN_STATUSES, claimant__merged_into__isnull=True),
        case__erased_at__isnull=True, met_on__isnull=True,
    ).exclude(case__stage=CaseStage.CLOSED)


def pending_for(actor: User) -> QuerySet[Deadline]:
    """The pending due dates of the cases the actor holds. Read from the deadline_pending_due
    index ("met_on IS NULL" and the dates), not from the organisation's cases: see the model."""
    return pending_deadlines().filter(held_by(actor, "case__data_key_id"),
                                      case__organisation=actor.membership.organisation)


def due_groups(*, actor: User, through: date, since: date | None = None, language: str,
               limit: int = OVERVIEW_ROWS, latest_first: bool = False) -> list[DueGroup]:
    found = pending_for(actor).filter(due_on__lte=through)
    if since is not None:
        found = found.filter(due_on__gte=since)
    order = ("-due_on", "case__number", "rule_id") if latest_first else ("due_on", "case__number", "rule_id")
    rows = (found.values("case_id", "case__number", "rule_id", "due_on")
            .annotate(claimants=Count("claimant"), unpublished=Max(Cast("unpublished", IntegerField())),
                      approximate=Max(Cast("event__approximate", IntegerField())))
            .order_by(*order)[:limit])
    groups = []
    for row in rows:
        shown = rule_shown(row["rule_id"], language)
        groups.append(DueGroup(
            case_id=row["case_id"], case_number=row["case__number"], rule_id=row["rule_id"], title=shown.title,
            citation=shown.citation, due_on=row["due_on"], claimants=row["claimants"], verify=shown.verify,
            unpublished=bool(row["unpublished"]), restorable=shown.restorable, approximate=bool(row["approximate"]),
        ))
    return groups


@dataclass(frozen=True)
class OverviewDue:
    upcoming: list[DueGroup]  # due today or within OVERVIEW_DAYS days, soonest first
    overdue: list[DueGroup]  # missed and not marked met, the most recent first
    overdue_more: bool  # more missed ones than shown


def overview_due(*, actor: User, language: str) -> OverviewDue:
    """What is due in the next OVERVIEW_DAYS days, and what was missed. Two lists, so that a few
    old dates left unmarked never push the coming ones off the page."""
    today = timezone.localdate()
    upcoming = due_groups(actor=actor, since=today, through=today + timedelta(days=OVERVIEW_DAYS),
                          language=language)
    overdue = due_groups(actor=actor, through=today - timedelta(days=1), language=language,
                         limit=OVERDUE_ROWS + 1, latest_first=True)
    return OverviewDue(upcoming=upcoming, overdue=overdue[:OVERDUE_ROWS], overdue_more=len(overdue) > OVERDUE_ROWS)


def unseen_reminders(*, actor: User, language: str) -> list[tuple[Reminder, str]]:
    """The actor's reminders not yet dismissed, of cases they still hold, whose due date is still
    pending (met since, or the case closed: gone), with the rule's title."""
    still_pending = Exists(pending_for(actor).filter(case_id=OuterRef("case_id"), rule_id=OuterRef("rule_id"),
                                                     due_on=OuterRef("due_on")))
    # still_pending already requires the actor to hold the case.
    found = (Reminder.objects.filter(still_pending, user=actor, seen_at__isnull=True)
             .select_related("case").order_by("due_on", "id")[:OVERVIEW_ROWS])
    return [(r, rule_shown(r.rule_id, language).title) for r in found]
