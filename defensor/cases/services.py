"""Writes to cases and their notes (the cases issue builds the rest on these)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case, CaseNote, Claimant
from defensor.core.errors import DefensorError
from defensor.core.models import Organisation
from defensor.intake.models import Submission
from defensor.keys.keyring import KeyRing
from defensor.keys.services import (
    record_access_grant,
    record_access_revoke,
    record_erase,
    record_holders,
    record_key_create,
    record_sealer,
    require_record_access,
)
from defensor.people.models import Person


class NotAGroupCase(DefensorError):
    user_message = _("Requests can be added only to a group claim.")


@transaction.atomic
def case_open(
    *, opened_by: User, keyring: KeyRing, title: str, number: str = "", summary: str = "", group: bool = False
) -> Case:
    """Open a case; without a number it gets the next one of the year (2026-0001, 2026-0002, …)."""
    require_permission(opened_by, Perm.CASES_OPEN)
    organisation = opened_by.membership.organisation
    sealer = record_key_create(organisation=organisation, keyring=keyring)
    case = Case(organisation=organisation, number=number or _next_number(organisation), opened_by=opened_by,
                group=group)
    case.encrypt(sealer, title=title, summary=summary)
    case.save()
    log_action(action="case.opened", actor=opened_by, target=case, details={"group": group})
    return case


def _next_number(organisation: Organisation) -> str:
    year = timezone.localdate().year
    # Serialised by the organisation row lock (two acceptances at once must not take one number).
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    # The highest number of the year (longer is higher: 2026-10000 after 2026-9999), one row read.
    last = (
        Case.objects.filter(organisation=organisation, number__regex=rf"^{year}-[0-9]+$")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    highest = int(last.split("-", 1)[1]) if last else 0
    return f"{year}-{highest + 1:04d}"


@transaction.atomic
def claimant_add(
    *, case: Case, person: Person, added_by: User, keyring: KeyRing, submission: Submission | None = None
) -> Claimant:
    """Add a person to a case. Everyone who works on the case may read the person's record."""
    require_permission(added_by, Perm.CASES_OPEN)
    require_record_access(user=added_by, material=case.data_key)
    require_record_access(user=added_by, material=person.data_key)
    # Two colleagues accepting two requests of one person into one case at once: one waits.
    case = Case.objects.select_for_update().get(pk=case.pk)
    existing = Claimant.objects.filter(case=case, person=person).first()
    if existing is not None:
        return existing
    if case.claimants.exists() and not case.group:
        raise NotAGroupCase()
    claimant = Claimant.objects.create(case=case, person=person, added_by=added_by, submission=submission)
    can_read = {user.pk for user in record_holders(material=person.data_key)}
    for user in record_holders(material=case.data_key):
        if user.pk not in can_read:
            record_access_grant(material=person.data_key, to_user=user, keyring=keyring)
    log_action(action="case.claimant_added", actor=added_by, target=case,
               details={"claimant": claimant.pk, "person": person.pk})
    return claimant


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
