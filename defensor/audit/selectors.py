"""Reads of the audit log for the staff UI: only the actor's organisation, only for admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.models import AuditEvent


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor_id: int | None = None
    since: date | None = None
    until: date | None = None


def audit_events_for(*, actor: User, filters: AuditFilter) -> QuerySet[AuditEvent]:
    require_permission(actor, Perm.AUDIT_VIEW)
    events = AuditEvent.objects.filter(organisation=actor.membership.organisation).select_related("actor")
    if filters.action:
        events = events.filter(action__startswith=filters.action)
    if filters.actor_id is not None:
        events = events.filter(actor_id=filters.actor_id)
    tz = timezone.get_current_timezone()
    if filters.since:
        events = events.filter(created_at__gte=datetime.combine(filters.since, time.min, tzinfo=tz))
    if filters.until:
        events = events.filter(created_at__lte=datetime.combine(filters.until, time.max, tzinfo=tz))
    return events.order_by("-seq")


def audit_action_codes(*, actor: User) -> list[str]:
    require_permission(actor, Perm.AUDIT_VIEW)
    return list(
        AuditEvent.objects.filter(organisation=actor.membership.organisation)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )


def audit_actor_choices(*, actor: User) -> list[tuple[int, str]]:
    """Members of the actor's organisation, for the "who" filter."""
    require_permission(actor, Perm.AUDIT_VIEW)
    return list(
        User.objects.filter(membership__organisation=actor.membership.organisation)
        .order_by("username")
        .values_list("pk", "username")
    )
