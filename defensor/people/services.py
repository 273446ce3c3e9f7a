"""Writes to person records and their handles. The acting user's key ring seals; the audit log
records ids, kinds and flags only."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from defensor.access.services import record_erase, record_key_create, record_sealer, require_record_access
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.core.errors import InvalidOperation
from defensor.core.grammar import NAME_FORM_CASES, decline_full_name, normalise, recorded_gender
from defensor.keys.keyring import KeyRing, NoAccess
from defensor.keys.models import KeyKind
from defensor.keys.records import RecordSealer
from defensor.people.models import Handle, Person, PersonRevision


class EmptyHandle(InvalidOperation):
    user_message = _("Enter a phone number, an account name or an address.")


class MergeRefused(InvalidOperation):
    user_message = _("These records cannot be merged.")


class MergeIntoSelf(MergeRefused):
    user_message = _("A record cannot be merged into itself.")


class MergeIntoMerged(MergeRefused):
    user_message = _("That record has itself been merged into another one. Merge into that one instead.")


class AlreadyMerged(MergeRefused):
    user_message = _("This record is already merged into another one. Undo that merge first.")


class NotMerged(InvalidOperation):
    user_message = _("This record is not merged into another one.")


class NameFormTooLong(InvalidOperation):
    user_message = _("A form of the name can be at most 200 characters long.")


class NoFullNameToDecline(InvalidOperation):
    user_message = _("This record has no full name, so there is nothing to decline. Record the name first.")


@dataclass(frozen=True)
class HandleInput:
    """A handle as entered, before it is sealed. ``kind`` is one of ``Handle.Kind``."""

    kind: str
    value: str
    safe_times: str = ""
    safe_to_contact: bool = False

    def __repr__(self) -> str:
        return f"<HandleInput {self.kind}>"  # the value is personal: never in a log or traceback


def _handle_store(
    *, person: Person, sealer: RecordSealer, index_key: bytes, handle: HandleInput
) -> tuple[Handle, bool]:
    """Seal and save a handle: (the handle, True); or (the existing one, False) if the person
    already has the same number or account, however it was written."""
    value = handle.value.strip()
    if not value:
        raise EmptyHandle()
    stored = Handle(person=person, kind=Handle.Kind(handle.kind), safe_to_contact=handle.safe_to_contact)
    stored.set_blind_indexes(index_key, {"value": value})
    if stored.value_index is not None:
        existing = Handle.objects.filter(person=person, value_index=stored.value_index).first()
        if existing is not None:
            return existing, False
    stored.encrypt(sealer, value=value, safe_times=handle.safe_times.strip() or None)
    stored.save()
    return stored, True


@transaction.atomic
def person_create(
    *,
    created_by: User,
    keyring: KeyRing,
    full_name: str,
    surname: str | None = None,
    birth_date: str | None = None,
    unit: str | None = None,
    notes: str | None = None,
    handles: Sequence[HandleInput] = (),
) -> Person:
    require_permission(created_by, Perm.CASES_OPEN)
    organisation = created_by.membership.organisation
    sealer = record_key_create(organisation=organisation, keyring=keyring)
    values = {"full_name": full_name, "surname": surname, "birth_date": birth_date, "unit": unit, "notes": notes}
    person = Person(organisation=organisation)
    person.encrypt(sealer, **values)
    index_material, index_key = keyring.current(organisation.pk, KeyKind.INDEX)
    person.set_blind_indexes(index_key, values)
    person.set_report_facts(index_material, index_key, values)
    person.save()
    added = [_handle_store(person=person, sealer=sealer, index_key=index_key, handle=h) for h in handles]
    log_action(
        action="person.created", actor=created_by, target=person,
        details={"handles": [h.pk for h, created in added if created]},
    )
    return person


# What the person page edits: every sealed field of the record except the lawyer's own forms of
# the name, which have their own form (person_name_forms_set).
PERSON_FIELDS = (
    "full_name", "surname", "given_name", "patronymic", "gender", "birth_date", "birth_place",
    "residence_address", "postal_address", "passport", "snils", "inn", "unit", "service_category", "force",
    "region", "service_post", "monthly_pay", "notes",
)
GENDERS = ("m", "f")


class EditConflict(InvalidOperation):
    """A colleague saved other values of these fields since the form was shown."""

    user_message = _("A colleague changed some of these fields while you were editing.")

    def __init__(self, fields: Sequence[str]) -> None:
        super().__init__()
        self.fields = list(fields)


class NotWritable(InvalidOperation):
    user_message = _("This record can no longer be changed.")


def field_digest(person: Person, field: str, value: str | None) -> str:
    """A keyed digest of a field's value as a form showed it: when the form comes back, the
    fields whose digest differs are the ones the lawyer changed (and a colleague's change in
    between shows as a digest that no longer matches the record). Never the value itself."""
    return salted_hmac("defensor.people.edit", f"{person.pk}:{field}:{_blank_to_none(value) or ''}").hexdigest()[:24]


def _blank_to_none(value: str | None) -> str | None:
    """A value as stored: without the spaces around it and with plain line ends; empty: None."""
    if value is None:
        return None
    value = value.replace("\r\n", "\n").strip()
    return value or None


def person_update(*, person: Person, updated_by: User, keyring: KeyRing, **values: str | None) -> Person:
    """Change some fields of a person record (see ``person_edit``; no check of what a form showed)."""
    return person_edit(person=person, updated_by=updated_by, keyring=keyring, values=values)


@transaction.atomic
def person_edit(
    *, person: Person, updated_by: User, keyring: KeyRing, values: Mapping[str, str | None],
    shown: Mapping[str, str] | None = None,
) -> Person:
    """Change some fields of a person record (an empty text clears a field). Only the fields
    given are written, and of those only the ones that differ from the record as it is now:
    two colleagues changing different fields at once keep both changes.

    ``shown``: field → ``field_digest`` of the value the form showed; a field given here whose
    stored value has changed since raises ``EditConflict`` (nothing is written).

    The values replaced are kept, sealed, in a ``PersonRevision``. A new full name drops the
    lawyer's own forms of the old one (they are in the revision). Returns the person."""
    require_permission(updated_by, Perm.CASES_OPEN)
    known = set(Person.encrypted_field_names())
    if unknown := set(values) - known:
        raise TypeError(f"not fields of a person: {sorted(unknown)}")  # names only, never values
    if person.organisation_id != updated_by.membership.organisation_id:
        raise NoAccess()
    require_record_access(user=updated_by, material=person.data_key)
    # Locks the person's key row, then reads the record afresh under that lock.
    sealer = record_sealer(material=person.data_key, keyring=keyring)
    person.refresh_from_db(fields=[*known, *Person.BLIND_INDEXES, "erased_at"])
    if person.erased_at is not None:
        raise NotWritable()
    current = person.decrypt(keyring)
    changed = {
        name: cleaned for name, value in values.items()
        if (cleaned := _blank_to_none(value)) != _blank_to_none(current[name])
    }
    if shown is not None:
        conflicts = [
            name for name in sorted(changed)
            if name in shown and field_digest(person, name, current[name]) != shown[name]
        ]
        if conflicts:
            raise EditConflict(conflicts)
    if "full_name" in changed and current.name_forms and "name_forms" not in values:
        changed["name_forms"] = None  # the corrections were of the old name
    if not changed:
        return person
    revision = PersonRevision(person=person, fields=sorted(changed), changed_by=updated_by)
    revision.encrypt(sealer, previous=json.dumps(
        {name: current[name] for name in sorted(changed)}, ensure_ascii=False, sort_keys=True
    ))
    revision.save()
    person.encrypt(sealer, **changed)
    index_material, index_key = keyring.current(person.organisation_id, KeyKind.INDEX)
    person.set_blind_indexes(index_key, {**current, **changed})
    person.set_report_facts(index_material, index_key, {**current, **changed})
    person.save(update_fields=[*sorted(changed), *Person.BLIND_INDEXES, "report_facts", "report_key"])
    log_action(
        action="person.updated", actor=updated_by, target=person,
        details={"fields": sorted(changed), "revision": revision.pk},
    )
    return person


def person_revisions(*, person: Person, keyring: KeyRing) -> list[tuple[PersonRevision, dict[str, str | None]]]:
    """The record's history, newest first: each change with the values it replaced."""
    revisions = PersonRevision.objects.filter(person=person).select_related("changed_by")
    history = []
    for revision in revisions:
        sealed = revision.decrypt(keyring).previous
        loaded = json.loads(sealed) if sealed else {}
        history.append((revision, loaded if isinstance(loaded, dict) else {}))
    return history


@transaction.atomic
def handle_add(*, person: Person, added_by: User, keyring: KeyRing, handle: HandleInput) -> Handle:
    """Add a way to reach the person; the same number or account written differently is not
    added twice (the existing handle is returned)."""
    require_permission(added_by, Perm.CASES_OPEN)
    # Locks the person's key row: two colleagues adding the same number at once add it once.
    sealer = record_sealer(material=person.data_key, keyring=keyring)
    _, index_key = keyring.current(person.organisation_id, KeyKind.INDEX)
    stored, created = _handle_store(person=person, sealer=sealer, index_key=index_key, handle=handle)
    if not created:
        return stored
    log_action(
        action="person.handle_added", actor=added_by, target=person, details={"handle": stored.pk, "kind": stored.kind}
    )
    return stored


@transaction.atomic
def handle_update_safety(
    *, handle: Handle, updated_by: User, keyring: KeyRing, safe_to_contact: bool, safe_times: str
) -> Handle:
    """Record whether the team confirmed it is safe to use this handle, and when."""
    require_permission(updated_by, Perm.CASES_OPEN)
    sealer = record_sealer(material=handle.person.data_key, keyring=keyring)
    handle.encrypt(sealer, safe_times=safe_times.strip() or None)
    handle.safe_to_contact = safe_to_contact
    handle.save(update_fields=["safe_times", "safe_to_contact"])
    log_action(
        action="person.handle_safety_changed", actor=updated_by, target=handle.person,
        details={"handle": handle.pk, "safe_to_contact": safe_to_contact},
    )
    return handle


@transaction.atomic
def handle_remove(*, handle: Handle, removed_by: User) -> None:
    """Remove a way to reach the person (a number they no longer use, or one written down wrongly)."""
    require_permission(removed_by, Perm.CASES_OPEN)
    person = handle.person
    if person.organisation_id != removed_by.membership.organisation_id:
        raise NoAccess()
    require_record_access(user=removed_by, material=person.data_key)
    Handle.objects.filter(pk=handle.pk).delete()
    log_action(
        action="person.handle_removed", actor=removed_by, target=person,
        details={"handle": handle.pk, "kind": handle.kind},
    )


@transaction.atomic
def person_merge(*, source: Person, into: Person, merged_by: User, keyring: KeyRing) -> Person:
    """Fold a duplicate (``source``) into the record to keep (``into``). Nothing is moved or
    deleted: ``source`` is hidden and points at ``into``, so ``person_unmerge`` restores it exactly.

    ``into`` may itself be merged later (A into B, then B into C): the chain is followed by
    ``selectors.merge_root``. Only records that are not merged themselves take part, so no
    chain can loop.
    """
    require_permission(merged_by, Perm.CASES_OPEN)
    if source.pk == into.pk:
        raise MergeIntoSelf()
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[source.pk, into.pk])}
    kept, duplicate = locked[into.pk], locked[source.pk]
    for person in (kept, duplicate):
        if person.organisation_id != merged_by.membership.organisation_id or person.erased_at is not None:
            raise NoAccess()
        require_record_access(user=merged_by, material=person.data_key)
        keyring.material(person.data_key_id)  # the acting key ring really opens both
    if kept.merged_into_id is not None:
        raise MergeIntoMerged()
    if duplicate.merged_into_id is not None:
        raise AlreadyMerged()
    Person.objects.filter(pk=duplicate.pk).update(merged_into=kept, merged_at=timezone.now(), merged_by=merged_by)
    source.refresh_from_db(fields=["merged_into", "merged_at", "merged_by"])
    log_action(action="person.merged", actor=merged_by, target=source, details={"into": kept.pk})
    return source


@transaction.atomic
def person_unmerge(*, person: Person, unmerged_by: User) -> Person:
    """Undo a merge: the record is listed and matched again, exactly as before."""
    require_permission(unmerged_by, Perm.CASES_OPEN)
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.organisation_id != unmerged_by.membership.organisation_id:
        raise NoAccess()
    require_record_access(user=unmerged_by, material=locked.data_key)
    if locked.merged_into_id is None:
        raise NotMerged()
    Person.objects.filter(pk=locked.pk).update(merged_into=None, merged_at=None, merged_by=None)
    person.refresh_from_db(fields=["merged_into", "merged_at", "merged_by"])
    log_action(action="person.unmerged", actor=unmerged_by, target=person, details={"from": locked.merged_into_id})
    return person


NAME_FORM_MAX_LENGTH = 200


def name_forms_computed(full_name: str, gender: str | None = None) -> dict[str, str]:
    """The full name in each case as the library declines it (no corrections by the lawyer),
    for the gender the record states (``"m"``/``"f"``) or else the one the name shows;
    nothing for a name with no word in it."""
    if not normalise(full_name):
        return {}
    known = recorded_gender(gender)
    return {case.value: decline_full_name(full_name, case, gender=known) for case in NAME_FORM_CASES}


def name_form_overrides(stored: str | None) -> dict[str, str]:
    """The lawyer's own forms from a person's decrypted ``name_forms`` (JSON), by case name."""
    loaded = json.loads(stored) if stored else {}
    if not isinstance(loaded, dict):
        return {}
    known = {case.value for case in NAME_FORM_CASES}
    return {case: text for case, text in loaded.items() if case in known and isinstance(text, str) and text.strip()}


@transaction.atomic
def person_name_forms_set(
    *, person: Person, edited_by: User, keyring: KeyRing, forms: Mapping[str, str]
) -> list[str]:
    """Correct how documents write the person's name in some cases. ``forms``: case name →
    the text typed; an empty text means "computed by the library again"; a case not given is
    left as it is. Only a text that differs from what the library computes is kept.

    Returns the case names whose stored form changed (empty: nothing was written)."""
    require_permission(edited_by, Perm.CASES_OPEN)
    known = {case.value for case in NAME_FORM_CASES}
    if unknown := set(forms) - known:
        raise ValueError(f"not a form of a name: {sorted(unknown)}")  # case names only, never the text
    typed = {case: " ".join(text.split()) for case, text in forms.items()}
    if any(len(text) > NAME_FORM_MAX_LENGTH for text in typed.values()):
        raise NameFormTooLong()
    # Locks the person's key row, then reads afresh: two colleagues correcting different forms
    # at once keep both corrections.
    sealer = record_sealer(material=person.data_key, keyring=keyring)
    person.refresh_from_db(fields=["full_name", "name_forms", "gender"])
    values = person.decrypt(keyring)
    computed = name_forms_computed(values.full_name or "", values.gender)
    if not computed:
        raise NoFullNameToDecline()
    before = name_form_overrides(values.name_forms)
    after = dict(before)
    for case, text in typed.items():
        if text and text != computed[case]:
            after[case] = text
        else:
            after.pop(case, None)
    changed = [case.value for case in NAME_FORM_CASES if before.get(case.value) != after.get(case.value)]
    if not changed:
        return []
    stored = json.dumps(after, ensure_ascii=False, sort_keys=True) if after else None
    person.encrypt(sealer, name_forms=stored)
    person.save(update_fields=["name_forms"])
    log_action(
        action="person.name_forms_set", actor=edited_by, target=person,
        details={"person": person.pk, "forms": changed},
    )
    return changed


@transaction.atomic
def person_erase(*, person: Person, erased_by: User) -> None:
    """Crypto-shred the person's data key and blank what is left of the record and its handles."""
    require_permission(erased_by, Perm.CASES_OPEN)
    require_record_access(user=erased_by, material=person.data_key)
    _person_shred(person, erased_by)
    log_action(action="person.erased", actor=erased_by, organisation=person.organisation, target=person)


@transaction.atomic
def person_erase_on_schedule(*, person: Person) -> None:
    """Erase a person record for the retention policy (the worker, no actor): the caller
    (``retention``) has found that every case the person was in is erased."""
    current = Person.objects.select_for_update().select_related("data_key", "organisation").get(pk=person.pk)
    if current.erased_at is not None:
        return
    _person_shred(current, None)
    log_action(action="person.erased", organisation=current.organisation, target=current,
               details={"by": "retention"})


def _person_shred(person: Person, erased_by: User | None) -> None:
    record_erase(material=person.data_key, erased_by=erased_by)
    Handle.objects.filter(person=person).update(value=None, safe_times=None, value_index=None)
    PersonRevision.objects.filter(person=person).update(previous=None)
    Person.objects.filter(pk=person.pk).update(
        **dict.fromkeys(Person.encrypted_field_names()),
        surname_index=None, surname_prefix_index=None, birth_date_index=None, unit_index=None,
        report_facts=None, report_key=None,  # the copy a report counts (keys.facts) goes with the record
        erased_at=timezone.now(),
    )


@transaction.atomic
def people_read(*, reader: User, people: list[int], where: str) -> None:
    """Record that a team member read these person records (every read of personal data is audited)."""
    if people:
        log_action(action="person.read", actor=reader, details={"where": where, "people": people})


@transaction.atomic
def persons_report_facts_make(*, actor: User, keyring: KeyRing, person_ids: Sequence[int]) -> int:
    """Seal the report facts (keys.facts) of these person records afresh with the current index
    key, for those whose key the actor holds: records written before reports counted them, or
    whose facts were made with a rotated key. How many were made; audited as a count."""
    require_permission(actor, Perm.REPORTS_VIEW)
    organisation_id = actor.membership.organisation_id
    index_material, index_key = keyring.current(organisation_id, KeyKind.INDEX)
    people = list(
        Person.objects.filter(pk__in=list(person_ids), organisation_id=organisation_id, erased_at__isnull=True)
        .only("id", "record_uid", "data_key_id", *Person.REPORT_FACTS)
    )
    keyring.prefetch(person.data_key_id for person in people)
    made = []
    for person in people:
        if not keyring.opened(person.data_key_id):
            continue  # a record the actor was not shared: a colleague who holds it makes it
        values = person.decrypt(keyring, only=Person.REPORT_FACTS)
        person.set_report_facts(index_material, index_key, values)
        made.append(person)
    Person.objects.bulk_update(made, ["report_facts", "report_key"], batch_size=250)
    if made:
        log_action(action="person.report_facts_made", actor=actor, details={"count": len(made)})
    return len(made)
