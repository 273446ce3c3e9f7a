"""Writes to cases and their notes (the cases issue builds the rest on these)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case, CaseNote
from defensor.keys.keyring import KeyRing
from defensor.keys.services import (
    record_access_grant,
    record_access_revoke,
    record_erase,
    record_key_create,
    record_sealer,
    require_record_access,
)


@transaction.atomic
def case_open(*, opened_by: User, keyring: KeyRing, number: str, title: str, summary: str = "") -> Case:
    require_permission(opened_by, Perm.CASES_OPEN)
    organisation = opened_by.membership.organisation
    sealer = record_key_create(organisation=organisation, keyring=keyring)
    case = Case(organisation=organisation, number=number, opened_by=opened_by)
    case.encrypt(sealer, title=title, summary=summary)
    case.save()
    log_action(action="case.opened", actor=opened_by, target=case)
    return case


@transaction.atomic
def case_note_add(*, case: Case, author: User, keyring: KeyRing, text: str) -> CaseNote:
    note = CaseNote(case=case, author=author)
    note.encrypt(record_sealer(material=case.data_key, keyring=keyring), text=text)
    note.save()
    log_action(action="case.note_added", actor=author, target=case, details={"note": note.pk})
    return note


@transaction.atomic
def case_share(*, case: Case, to_user: User, shared_by: User, keyring: KeyRing) -> None:
    require_permission(shared_by, Perm.CASES_SHARE)
    record_access_grant(material=case.data_key, to_user=to_user, keyring=keyring)
    log_action(action="case.shared", actor=shared_by, target=case, details={"user": to_user.pk})


@transaction.atomic
def case_unshare(*, case: Case, user: User, unshared_by: User) -> None:
    require_permission(unshared_by, Perm.CASES_SHARE)
    record_access_revoke(material=case.data_key, user=user, revoked_by=unshared_by)
    log_action(action="case.unshared", actor=unshared_by, target=case, details={"user": user.pk})


@transaction.atomic
def case_erase(*, case: Case, erased_by: User) -> None:
    require_permission(erased_by, Perm.CASES_OPEN)
    require_record_access(user=erased_by, material=case.data_key)
    record_erase(material=case.data_key, erased_by=erased_by)
    CaseNote.objects.filter(case=case).update(text=None)
    Case.objects.filter(pk=case.pk).update(title=None, summary=None, erased_at=timezone.now())
    log_action(action="case.erased", actor=erased_by, target=case)
