"""Reads of cases: only those the acting user holds the key for; others do not exist for them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from defensor.accounts.models import User
from defensor.cases.models import Case
from defensor.keys.models import KeyGrant


def cases_for(*, actor: User) -> QuerySet[Case]:
    held = KeyGrant.objects.filter(user=actor, wrapped__isnull=False).values("material_id")
    return Case.objects.filter(organisation=actor.membership.organisation, data_key_id__in=held, erased_at__isnull=True)


def case_for(*, actor: User, case_id: int) -> Case:
    case = cases_for(actor=actor).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case
