"""Reads of staff accounts, always within the acting user's organisation."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission


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
