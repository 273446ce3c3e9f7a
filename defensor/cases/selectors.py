"""Reads of cases: only those the acting user holds the key for; others do not exist for them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from defensor.accounts.models import User
from defensor.cases.models import Case
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyGrant


def cases_for(*, actor: User) -> QuerySet[Case]:
    held = KeyGrant.objects.filter(user=actor, wrapped__isnull=False).values("material_id")
    return Case.objects.filter(organisation=actor.membership.organisation, data_key_id__in=held, erased_at__isnull=True)


def case_for(*, actor: User, case_id: int) -> Case:
    case = cases_for(actor=actor).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


def group_cases_for(*, actor: User, keyring: KeyRing) -> list[tuple[Case, str]]:
    """Group claims the actor works on, with their decrypted titles (for choosing where a
    request goes)."""
    cases = cases_for(actor=actor).filter(group=True).order_by("-created_at")[:200]
    return [(case, case.decrypt(keyring).title or "") for case in cases]
