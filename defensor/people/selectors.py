"""Reads of person records: only those the acting user holds a key for."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from defensor.accounts.models import User
from defensor.keys.blind import blind_index, normalise_phone, normalise_surname
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyGrant
from defensor.people.models import Person


def people_for(*, actor: User) -> QuerySet[Person]:
    held = KeyGrant.objects.filter(user=actor, wrapped__isnull=False).values("material_id")
    return Person.objects.filter(
        organisation=actor.membership.organisation, data_key_id__in=held, erased_at__isnull=True
    )


def person_for(*, actor: User, person_id: int) -> Person:
    person = people_for(actor=actor).filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


def people_with_phone(*, actor: User, keyring: KeyRing, phone: str) -> QuerySet[Person]:
    normalised = normalise_phone(phone)
    if normalised is None:
        return Person.objects.none()
    digest = blind_index(keyring, actor.membership.organisation_id, "phone_index", normalised)
    return people_for(actor=actor).filter(phone_index=digest)


def people_with_surname(*, actor: User, keyring: KeyRing, surname: str) -> QuerySet[Person]:
    normalised = normalise_surname(surname)
    if normalised is None:
        return Person.objects.none()
    digest = blind_index(keyring, actor.membership.organisation_id, "surname_index", normalised)
    return people_for(actor=actor).filter(surname_index=digest)
