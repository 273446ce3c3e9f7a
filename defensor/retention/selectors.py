"""What the retention policy erases, and when: ids, kinds and dates, never content.

The day a request became spam or was rejected is ``Submission.status_changed_at``: every change
of status sets it (``intake.services.submission_status_set``; the status and that field came in
the same migration, so no spam or rejected request lacks it). A row without it (changed by hand
in the database) counts from its arrival. The day a case was closed is ``Case.closed_at``, set by
``cases.services.case_update`` when the stage becomes "closed" (cleared when it is reopened);
cases closed before it existed were given the time of the audited edit that closed them, else
their last update (cases migration 0010). A case on legal hold is never listed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.cases.models import Case, CaseStage
from defensor.core.models import Organisation
from defensor.intake.models import Status, Submission
from defensor.retention.models import RetentionPolicy

# Administrators see what is due this many days ahead (the overview's notice and the page).
WARN_DAYS = 7
# The page lists at most this many rows (the counts per day and kind are always complete).
LISTED_AT_MOST = 500


class Kind(StrEnum):
    SPAM = "spam"
    REJECTED = "rejected"
    CASE = "case"

    @property
    def label(self) -> str:
        return str({Kind.SPAM: _("spam request"), Kind.REJECTED: _("rejected request"),
                    Kind.CASE: _("closed case")}[self])


@dataclass(frozen=True)
class DueItem:
    """One record the policy erases: ``since`` the day it became spam, rejected or closed,
    ``due_on`` the first day it may be erased. ``number``: a case's number (plaintext anyway)."""

    kind: Kind
    id: str
    since: date
    due_on: date
    received_on: date | None = None  # a request's day of arrival
    number: str = ""


def policy_for(organisation: Organisation) -> RetentionPolicy:
    """The organisation's policy; the defaults (not saved) until an administrator saves one."""
    found = RetentionPolicy.objects.filter(organisation=organisation).first()
    return found if found is not None else RetentionPolicy(organisation=organisation)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March (never earlier than a full year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def request_due_on(submission: Submission, policy: RetentionPolicy) -> date | None:
    """The day this request may be erased under ``policy``; None if its kind is kept."""
    days = {Status.SPAM: policy.spam_days, Status.REJECTED: policy.rejected_days}.get(Status(submission.status))
    if days is None:
        return None
    return timezone.localdate(submission.status_changed_at or submission.received_at) + timedelta(days=days)


def case_due_on(case: Case, policy: RetentionPolicy) -> date | None:
    """The day this case may be erased; None while it is open, on hold, erased, or cases are kept."""
    if (policy.closed_case_years is None or case.stage != CaseStage.CLOSED or case.legal_hold
            or case.erased_at is not None):
        return None
    return add_years(timezone.localdate(case.closed_at or case.updated_at), policy.closed_case_years)


def _requests_due(organisation: Organisation, policy: RetentionPolicy, on: date) -> list[DueItem]:
    found: list[DueItem] = []
    for status, days in ((Status.SPAM, policy.spam_days), (Status.REJECTED, policy.rejected_days)):
        if days is None:
            continue
        # due_on <= on  <=>  the local day of the change <= on - days
        rows = (Submission.objects.filter(organisation=organisation, status=status)
                .annotate(since_at=Coalesce("status_changed_at", "received_at"))
                .filter(since_at__lt=_start_of(on - timedelta(days=days - 1)))
                .order_by("since_at", "pk")
                .only("id", "status", "status_changed_at", "received_at"))
        for row in rows:
            due_on = request_due_on(row, policy)
            if due_on is not None and due_on <= on:
                found.append(DueItem(kind=Kind(status.value), id=str(row.pk),
                                     since=timezone.localdate(row.status_changed_at or row.received_at),
                                     due_on=due_on, received_on=timezone.localdate(row.received_at)))
    return found


def _cases_due(organisation: Organisation, policy: RetentionPolicy, on: date) -> list[DueItem]:
    years = policy.closed_case_years
    if years is None:
        return []
    # A little wider than exact (29 February, time zones); each row is then checked exactly.
    rows = (Case.objects.filter(organisation=organisation, stage=CaseStage.CLOSED, legal_hold=False,
                                erased_at__isnull=True)
            .annotate(since_at=Coalesce("closed_at", "updated_at"))
            .filter(since_at__lt=_start_of(add_years(on, -years) + timedelta(days=2)))
            .order_by("since_at", "pk")
            .only("id", "number", "stage", "legal_hold", "erased_at", "closed_at", "updated_at"))
    found = []
    for case in rows:
        due_on = case_due_on(case, policy)
        if due_on is not None and due_on <= on:
            found.append(DueItem(kind=Kind.CASE, id=str(case.pk), since=timezone.localdate(case.closed_at or
                                                                                          case.updated_at),
                                 due_on=due_on, number=case.number))
    return found


def retention_due(*, organisation: Organisation, on: date, policy: RetentionPolicy | None = None) -> list[DueItem]:
    """Everything the policy erases if it runs on ``on`` (what is overdue included), oldest first."""
    policy = policy or policy_for(organisation)
    items = _requests_due(organisation, policy, on) + _cases_due(organisation, policy, on)
    return sorted(items, key=lambda item: (item.due_on, item.kind.value, item.id))


@dataclass(frozen=True)
class DayCount:
    day: date
    counts: dict[str, int]  # kind -> how many

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Upcoming:
    """What the daily run erases in the next ``days`` days (from ``today``), by day and kind."""

    today: date
    days: int
    items: list[tuple[date, DueItem]]  # (the day it is erased, the item), at most LISTED_AT_MOST
    per_day: list[DayCount]
    per_kind: dict[str, int]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def retention_upcoming(*, organisation: Organisation, today: date, days: int = WARN_DAYS) -> Upcoming:
    """What is due by the last of the next ``days`` days; what is already due is erased today."""
    due = retention_due(organisation=organisation, on=today + timedelta(days=days - 1))
    dated = [(max(item.due_on, today), item) for item in due]
    per_day: dict[date, Counter[str]] = {}
    for day, item in dated:
        per_day.setdefault(day, Counter())[item.kind.value] += 1
    return Upcoming(
        today=today, days=days, items=dated[:LISTED_AT_MOST],
        per_day=[DayCount(day=day, counts=dict(per_day[day])) for day in sorted(per_day)],
        per_kind=dict(Counter(item.kind.value for item in due)), total=len(due),
    )


def retention_upcoming_count(*, organisation: Organisation, today: date, days: int = WARN_DAYS) -> int:
    """How many records are erased in the next ``days`` days (the overview's notice)."""
    return len(retention_due(organisation=organisation, on=today + timedelta(days=days - 1)))


__all__ = ["DueItem", "Kind", "Upcoming", "policy_for", "retention_due", "retention_upcoming",
           "retention_upcoming_count"]
