"""People and their handles: finding a known person when someone writes again, merging
duplicates and undoing it, contacts added once, and erasure."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.keys.keyring import NoAccess
from defensor.people.matching import SUGGEST_THRESHOLD, Identity
from defensor.people.models import Handle, Person
from defensor.people.selectors import (
    match_candidates,
    merge_root,
    people_for,
    people_merged_into,
    people_with_phone,
    person_for,
)
from defensor.people.services import (
    AlreadyMerged,
    HandleInput,
    MergeIntoMerged,
    MergeIntoSelf,
    NotMerged,
    handle_add,
    handle_update_safety,
    person_create,
    person_erase,
    person_merge,
    person_unmerge,
)
from tests.conftest import keyring_of

INDEX_REASONS = {"same_phone", "same_handle", "same_surname", "same_birth_date", "close_birth_date", "same_unit"}


def _petrov(user: User, **changes: object) -> Person:
    values: dict[str, object] = {
        "full_name": "Петров Иван Сергеевич", "surname": "Петров", "birth_date": "1990-04-05",
        "unit": "в/ч 12345", "handles": [HandleInput(kind="phone", value="8 (916) 123-45-67")],
    }
    values.update(changes)
    return person_create(created_by=user, keyring=keyring_of(user), **values)  # type: ignore[arg-type]


def _ids(user: User, identity: Identity) -> list[int]:
    return [c.person_id for c in match_candidates(actor=user, keyring=keyring_of(user), identity=identity)]


# --- matching through the blind indexes --------------------------------------------------------


@pytest.mark.django_db
def test_a_known_person_is_found_by_phone_surname_or_unit(anna: User) -> None:
    petrov = _petrov(anna)
    _petrov(anna, full_name="Смирнова Анна", surname="Смирнова", birth_date="1979-12-30", unit="в/ч 777",
            handles=[HandleInput(kind="phone", value="+7 903 555-44-33")])
    keyring = keyring_of(anna)

    [by_phone] = match_candidates(actor=anna, keyring=keyring, identity=Identity(phones=("+7 916 1234567",)))
    assert (by_phone.person_id, by_phone.reasons, by_phone.accessible) == (petrov.pk, ("same_phone",), True)
    assert by_phone.display == "Петров Иван Сергеевич"

    latin = Identity(full_name="Ivan Petrov", surname="Petrov", birth_date="1990-05-04")
    [by_name] = match_candidates(actor=anna, keyring=keyring, identity=latin)
    assert by_name.person_id == petrov.pk
    assert by_name.reasons == ("same_surname_transliterated", "same_first_name", "close_birth_date")

    unit = Identity(full_name="Петров Иван", surname="Петров", unit="12345")
    [by_unit] = match_candidates(actor=anna, keyring=keyring, identity=unit)
    assert by_unit.person_id == petrov.pk
    assert "same_unit" in by_unit.reasons

    typo = Identity(full_name="Петрв Иван Сергеевич", surname="Петрв", birth_date="1990-04-05")
    assert _ids(anna, typo) == [petrov.pk]  # found through the surname prefix, scored after decrypting

    stranger = Identity(full_name="Кузнецов Олег", surname="Кузнецов", birth_date="2001-01-01",
                        phones=("+7 999 000-00-00",))
    assert _ids(anna, stranger) == []


@pytest.mark.django_db
def test_a_person_the_triager_cannot_read_is_reported_with_index_reasons_only(anna: User, pavel: User) -> None:
    petrov = _petrov(anna)
    identity = Identity(full_name="Петров Иван", surname="Petrov", birth_date="1990-04-05",
                        phones=("9161234567",))
    [candidate] = match_candidates(actor=pavel, keyring=keyring_of(pavel), identity=identity)
    assert candidate.person_id == petrov.pk
    assert candidate.accessible is False
    assert candidate.display is None
    # What the indexes prove, and nothing that needs the record open (no first name, no alphabet).
    assert candidate.reasons == ("same_phone", "same_surname", "same_birth_date")
    assert set(candidate.reasons) <= INDEX_REASONS
    assert candidate.score >= SUGGEST_THRESHOLD
    # anna holds the record: she sees the full picture.
    [hers] = match_candidates(actor=anna, keyring=keyring_of(anna), identity=identity)
    assert hers.accessible is True
    assert "same_surname_transliterated" in hers.reasons
    assert "same_first_name" in hers.reasons


@pytest.mark.django_db
def test_a_volunteer_without_the_index_key_cannot_match(anna: User, boris: User) -> None:
    _petrov(anna)
    with pytest.raises(NoAccess):
        match_candidates(actor=boris, keyring=keyring_of(boris), identity=Identity(phones=("9161234567",)))


@pytest.mark.django_db
def test_erased_people_are_never_matched(anna: User) -> None:
    petrov = _petrov(anna)
    identity = Identity(surname="Петров", birth_date="1990-04-05", phones=("9161234567",))
    assert _ids(anna, identity) == [petrov.pk]
    person_erase(person=petrov, erased_by=anna)
    assert _ids(anna, identity) == []


@pytest.mark.django_db
def test_matching_reads_people_and_handles_in_bounded_queries(anna: User) -> None:
    for number in range(6):
        _petrov(anna, birth_date=f"199{number}-04-05",
                handles=[HandleInput(kind="phone", value=f"+7 916 000-00-0{number}"),
                         HandleInput(kind="telegram", value=f"@petrov{number}")])
    identity = Identity(full_name="Петров Иван Сергеевич", surname="Петров", birth_date="1993-04-05", unit="12345")
    keyring = keyring_of(anna)
    with CaptureQueriesContext(connection) as queries:
        found = match_candidates(actor=anna, keyring=keyring, identity=identity, min_score=0)
    assert len(found) == 6
    handle_queries = [q for q in queries.captured_queries if 'FROM "people_handle"' in q["sql"]]
    person_queries = [q for q in queries.captured_queries if 'FROM "people_person"' in q["sql"]]
    assert len(handle_queries) == 1  # handles of every candidate at once (no phone asked: no index query)
    assert len(person_queries) == 2  # the index query and the candidates themselves
    grant_queries = [q for q in queries.captured_queries if 'FROM "keys_keygrant"' in q["sql"]]
    assert len(grant_queries) == 3  # the keys the actor holds, the index key, the six records' keys at once
    assert found[0].reasons == ("same_surname", "same_first_name", "same_patronymic", "same_birth_date", "same_unit")


# --- merge and un-merge ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_merging_hides_the_duplicate_and_unmerging_restores_it_exactly(anna: User) -> None:
    kept = _petrov(anna)
    duplicate = _petrov(anna, full_name="Петров Иван", birth_date=None,
                        handles=[HandleInput(kind="telegram", value="@ivan_petrov")])
    before = Person.objects.filter(pk=duplicate.pk).values().get()

    person_merge(source=duplicate, into=kept, merged_by=anna, keyring=keyring_of(anna))
    assert duplicate.merged_into_id == kept.pk
    assert list(people_for(actor=anna)) == [kept]
    assert list(people_merged_into(actor=anna, person=kept)) == [duplicate]
    assert person_for(actor=anna, person_id=duplicate.pk, include_merged=True) == duplicate
    # The duplicate's telegram account now leads to the record it was merged into.
    [candidate] = match_candidates(actor=anna, keyring=keyring_of(anna), identity=Identity(handles=("ivan_petrov",)))
    assert candidate.person_id == kept.pk
    assert candidate.reasons == ("same_handle",)

    person_unmerge(person=duplicate, unmerged_by=anna)
    assert set(people_for(actor=anna)) == {kept, duplicate}
    assert _ids(anna, Identity(handles=("@Ivan_Petrov",))) == [duplicate.pk]
    assert Person.objects.filter(pk=duplicate.pk).values().get() == before

    merged, unmerged = AuditEvent.objects.filter(action__in=["person.merged", "person.unmerged"]).order_by("seq")
    assert (merged.action, merged.target_id, merged.details) == ("person.merged", str(duplicate.pk), {"into": kept.pk})
    assert (unmerged.action, unmerged.details) == ("person.unmerged", {"from": kept.pk})
    assert merged.actor_id == unmerged.actor_id == anna.pk


@pytest.mark.django_db
def test_a_merge_into_itself_or_into_a_merged_record_is_refused(anna: User) -> None:
    keyring = keyring_of(anna)
    a, b, c = _petrov(anna), _petrov(anna), _petrov(anna)
    with pytest.raises(MergeIntoSelf):
        person_merge(source=a, into=a, merged_by=anna, keyring=keyring)
    person_merge(source=a, into=b, merged_by=anna, keyring=keyring)
    with pytest.raises(MergeIntoMerged):
        person_merge(source=c, into=a, merged_by=anna, keyring=keyring)
    with pytest.raises(AlreadyMerged):
        person_merge(source=a, into=c, merged_by=anna, keyring=keyring)
    with pytest.raises(NotMerged):
        person_unmerge(person=c, unmerged_by=anna)
    assert Person.objects.get(pk=c.pk).merged_into_id is None
    assert AuditEvent.objects.filter(action="person.merged").count() == 1


@pytest.mark.django_db
def test_merge_chains_resolve_and_unwind(anna: User) -> None:
    keyring = keyring_of(anna)
    a = _petrov(anna, handles=[HandleInput(kind="phone", value="+7 926 111-11-11")])
    b = _petrov(anna, handles=[])
    c = _petrov(anna, handles=[])
    person_merge(source=a, into=b, merged_by=anna, keyring=keyring)
    person_merge(source=b, into=c, merged_by=anna, keyring=keyring)
    assert merge_root(person=Person.objects.get(pk=a.pk)) == c
    assert _ids(anna, Identity(phones=("89261111111",))) == [c.pk]
    person_unmerge(person=b, unmerged_by=anna)
    assert merge_root(person=Person.objects.get(pk=a.pk)) == b
    assert _ids(anna, Identity(phones=("89261111111",))) == [b.pk]


@pytest.mark.django_db
def test_only_someone_holding_both_records_can_merge_them(anna: User, pavel: User) -> None:
    hers = _petrov(anna)
    his = _petrov(pavel)
    with pytest.raises(NoAccess):
        person_merge(source=his, into=hers, merged_by=pavel, keyring=keyring_of(pavel))
    assert Person.objects.get(pk=his.pk).merged_into_id is None


# --- handles ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_number_or_account_is_added_once(anna: User) -> None:
    keyring = keyring_of(anna)
    petrov = _petrov(anna, handles=[HandleInput(kind="phone", value="8 (916) 123-45-67"),
                                    HandleInput(kind="phone", value="+7 916 1234567")])
    assert petrov.handles.count() == 1
    [phone] = petrov.handles.all()
    again = handle_add(person=petrov, added_by=anna, keyring=keyring,
                       handle=HandleInput(kind="whatsapp", value="9161234567"))
    assert again == phone
    telegram = handle_add(person=petrov, added_by=anna, keyring=keyring,
                          handle=HandleInput(kind="telegram", value="@Ivan_P"))
    assert handle_add(person=petrov, added_by=anna, keyring=keyring,
                      handle=HandleInput(kind="telegram", value="ivan_p")) == telegram
    assert petrov.handles.count() == 2
    assert telegram.decrypt(keyring).value == "@Ivan_P"
    [added] = AuditEvent.objects.filter(action="person.handle_added")
    assert added.details == {"handle": telegram.pk, "kind": "telegram"}
    # The same number on another person is that person's own handle.
    other = _petrov(anna, handles=[HandleInput(kind="phone", value="+7 916 123-45-67")])
    assert other.handles.count() == 1


@pytest.mark.django_db
def test_a_handle_is_not_safe_to_contact_until_the_team_confirms(anna: User) -> None:
    keyring = keyring_of(anna)
    petrov = _petrov(anna)
    handle = Handle.objects.get(person=petrov)
    assert handle.safe_to_contact is False
    assert handle.decrypt(keyring).safe_times is None
    handle_update_safety(handle=handle, updated_by=anna, keyring=keyring, safe_to_contact=True,
                         safe_times="после 19:00")
    stored = Handle.objects.get(pk=handle.pk)
    assert stored.safe_to_contact is True
    assert stored.decrypt(keyring).safe_times == "после 19:00"
    assert stored.decrypt(keyring).value == "8 (916) 123-45-67"
    [event] = AuditEvent.objects.filter(action="person.handle_safety_changed")
    assert event.details == {"handle": handle.pk, "safe_to_contact": True}


@pytest.mark.django_db
def test_a_handle_sealed_for_one_person_cannot_be_moved_to_another(anna: User) -> None:
    from defensor.keys import crypto

    keyring = keyring_of(anna)
    petrov = _petrov(anna)
    handle = Handle.objects.get(person=petrov)
    handle.person_id = _petrov(anna).pk
    with pytest.raises(crypto.Tampered):
        handle.decrypt(keyring)


@pytest.mark.django_db
def test_erasing_a_person_blanks_their_handles(anna: User) -> None:
    keyring = keyring_of(anna)
    petrov = _petrov(anna)
    handle_add(person=petrov, added_by=anna, keyring=keyring,
               handle=HandleInput(kind="signal", value="+7 926 222-22-22", safe_times="утром"))
    person_erase(person=petrov, erased_by=anna)
    blanked = Handle.objects.filter(
        person=petrov, value__isnull=True, safe_times__isnull=True, value_index__isnull=True
    )
    assert blanked.count() == Handle.objects.filter(person=petrov).count() == 2
    assert list(people_with_phone(actor=anna, keyring=keyring, phone="+79161234567")) == []
    stored = Person.objects.get(pk=petrov.pk)
    assert (stored.unit, stored.unit_index, stored.surname_prefix_index) == (None, None, None)
