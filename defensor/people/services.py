"""Writes to person records. The acting user's key ring seals; the audit log records ids only."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyKind
from defensor.keys.services import record_erase, record_key_create, record_sealer, require_record_access
from defensor.people.models import Person


@transaction.atomic
def person_create(
    *,
    created_by: User,
    keyring: KeyRing,
    full_name: str,
    surname: str | None = None,
    birth_date: str | None = None,
    phone: str | None = None,
    notes: str | None = None,
) -> Person:
    require_permission(created_by, Perm.CASES_OPEN)
    organisation = created_by.membership.organisation
    sealer = record_key_create(organisation=organisation, keyring=keyring)
    values = {"full_name": full_name, "surname": surname, "birth_date": birth_date, "phone": phone, "notes": notes}
    person = Person(organisation=organisation)
    person.encrypt(sealer, **values)
    _, index_key = keyring.current(organisation.pk, KeyKind.INDEX)
    person.set_blind_indexes(index_key, values)
    person.save()
    log_action(action="person.created", actor=created_by, target=person)
    return person


@transaction.atomic
def person_update(*, person: Person, updated_by: User, keyring: KeyRing, **values: str | None) -> Person:
    current = dict(person.decrypt(keyring))
    current.update(values)
    person.encrypt(record_sealer(material=person.data_key, keyring=keyring), **current)
    _, index_key = keyring.current(person.organisation_id, KeyKind.INDEX)
    person.set_blind_indexes(index_key, current)
    person.save()
    log_action(action="person.updated", actor=updated_by, target=person, details={"fields": sorted(values)})
    return person


@transaction.atomic
def person_erase(*, person: Person, erased_by: User) -> None:
    """Crypto-shred the person's data key and blank what is left of the record."""
    require_permission(erased_by, Perm.CASES_OPEN)
    require_record_access(user=erased_by, material=person.data_key)
    record_erase(material=person.data_key, erased_by=erased_by)
    Person.objects.filter(pk=person.pk).update(
        full_name=None, surname=None, birth_date=None, phone=None, notes=None,
        surname_index=None, birth_date_index=None, phone_index=None, erased_at=timezone.now(),
    )
    log_action(action="person.erased", actor=erased_by, organisation=person.organisation, target=person)
