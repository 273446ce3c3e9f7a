"""Reads of staff accounts, always within the acting user's organisation."""

from __future__ import annotations

from django.apps import apps
from django.db.models import QuerySet
from django.http import Http404

from defensor.accounts.models import User
from defensor.accounts.permissions import ROLE_PERMISSIONS, Perm, require_permission
from defensor.core.models import Organisation


def users_for(*, actor: User) -> QuerySet[User]:
    require_permission(actor, Perm.USERS_MANAGE)
    return (
        User.objects.filter(membership__organisation=actor.membership.organisation)
        .select_related("membership")
        .order_by("username")
    )


def user_for(*, actor: User, user_id: int) -> User:
    user = users_for(actor=actor).filter(pk=user_id).first()
    if user is None:
        raise Http404
    return user


def team_with(*, organisation: Organisation, perm: Perm) -> QuerySet[User]:
    """Active members of the organisation whose role grants ``perm`` (chosen in SQL, so a list
    of the team costs one query however large the team), with their membership loaded."""
    roles = [role.value for role in ROLE_PERMISSIONS[perm]]
    return User.objects.filter(
        membership__organisation=organisation, membership__role__in=roles, is_active=True
    ).select_related("membership")


def cases_held_count(*, user: User) -> int:
    """How many cases (not erased) the user holds the key of: what a change to a role that works
    on no case would take away. accounts sits below the feature apps, so the case model is
    looked up by its label rather than imported."""
    case_model = apps.get_model("cases", "Case")
    return int(
        case_model.objects.filter(
            organisation=user.membership.organisation, erased_at__isnull=True, data_key__grants__user=user
        ).count()
    )
