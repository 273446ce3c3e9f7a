"""Keys: round trips and tamper detection, and what grant, revoke, erase, password change,
rotation and recovery mean for the people using the workspace."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from defensor.access.services import rotate_index_key, rotate_intake_key, rotate_record_key
from defensor.accounts import services as accounts
from defensor.accounts.models import Role, User
from defensor.cases.models import Case
from defensor.cases.selectors import case_for, cases_for
from defensor.cases.services import case_erase, case_note_add, case_open, case_share, case_unshare
from defensor.keys import crypto
from defensor.keys.keyring import KeyRing, NoAccess, unwrap_private_key
from defensor.keys.models import KeyGrant, KeyKind, KeyMaterial, UserKeyPair
from defensor.keys.records import Ciphertext, FieldLocked
from defensor.people.models import Handle, Person
from defensor.people.selectors import people_with_phone, people_with_surname
from defensor.people.services import HandleInput, person_create, person_erase
from tests.conftest import PASSWORD, OrganisationKit, current_token, keyring_of

KEY = bytes(range(32))
PAIR = crypto.generate_keypair()


# --- primitives: round trips and tamper detection (property tests) --------------------------


@given(plaintext=st.binary(max_size=2048), aad=st.binary(max_size=64))
def test_encrypt_round_trip(plaintext: bytes, aad: bytes) -> None:
    assert crypto.decrypt(KEY, crypto.encrypt(KEY, plaintext, aad=aad), aad=aad) == plaintext


@given(plaintext=st.binary(min_size=0, max_size=512), data=st.data())
def test_any_flipped_byte_in_a_ciphertext_is_rejected(plaintext: bytes, data: st.DataObject) -> None:
    ciphertext = bytearray(crypto.encrypt(KEY, plaintext, aad=b"field"))
    position = data.draw(st.integers(0, len(ciphertext) - 1))
    ciphertext[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(crypto.Tampered):
        crypto.decrypt(KEY, bytes(ciphertext), aad=b"field")


@given(plaintext=st.binary(max_size=256), cut=st.integers(1, 40))
def test_truncated_ciphertext_or_wrong_context_is_rejected(plaintext: bytes, cut: int) -> None:
    ciphertext = crypto.encrypt(KEY, plaintext, aad=b"person.full_name")
    with pytest.raises(crypto.Tampered):
        crypto.decrypt(KEY, ciphertext[:-cut], aad=b"person.full_name")
    with pytest.raises(crypto.Tampered):
        crypto.decrypt(KEY, ciphertext, aad=b"person.notes")  # moved to another field


@given(plaintext=st.binary(max_size=512), data=st.data())
def test_any_flipped_byte_in_a_sealed_box_is_rejected(plaintext: bytes, data: st.DataObject) -> None:
    sealed = bytearray(crypto.seal(PAIR.public, plaintext))
    assert crypto.unseal(PAIR.private, bytes(sealed)) == plaintext
    position = data.draw(st.integers(0, len(sealed) - 1))
    sealed[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(crypto.Tampered):
        crypto.unseal(PAIR.private, bytes(sealed))


@pytest.mark.django_db
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data())
def test_any_flipped_byte_in_a_wrapped_key_is_rejected(anna: User, data: st.DataObject) -> None:
    keypair = UserKeyPair.objects.get(user=anna)
    wrapped = bytearray(bytes(keypair.wrapped_private_key))
    position = data.draw(st.integers(0, len(wrapped) - 1))
    wrapped[position] ^= data.draw(st.integers(1, 255))
    keypair.wrapped_private_key = bytes(wrapped)
    with pytest.raises(crypto.Tampered):
        unwrap_private_key(keypair, PASSWORD)
    grant = KeyGrant.objects.filter(user=anna, wrapped__isnull=False).first()
    assert grant is not None
    assert grant.wrapped is not None
    sealed = bytearray(bytes(grant.wrapped))
    sealed[data.draw(st.integers(0, len(sealed) - 1))] ^= data.draw(st.integers(1, 255))
    with transaction.atomic():  # each example starts from the intact grant
        KeyGrant.objects.filter(pk=grant.pk).update(wrapped=bytes(sealed))
        with pytest.raises(crypto.Tampered):
            keyring_of(anna).material(grant.material_id)
        transaction.set_rollback(True)


def test_wrong_password_does_not_open_the_private_key(db: None, anna: User) -> None:
    with pytest.raises(crypto.Tampered):
        unwrap_private_key(UserKeyPair.objects.get(user=anna), "not the password")


def test_key_derivations_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A burst of logins waits for a free slot and then gets a clear 'try again', never exhausts memory."""
    semaphore = threading.BoundedSemaphore(1)
    monkeypatch.setattr(crypto, "_derivations", semaphore)
    monkeypatch.setattr(crypto, "DERIVATION_WAIT_SECONDS", 0.05)
    semaphore.acquire()
    try:
        with pytest.raises(crypto.KeyDerivationBusy):
            crypto.derive_key("pw", b"s" * 16, crypto.KdfParams(1, 8 * 1024 * 1024))
    finally:
        semaphore.release()
    assert len(crypto.derive_key("pw", b"s" * 16, crypto.KdfParams(1, 8 * 1024 * 1024))) == 32


# --- records ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_fields_are_unavailable_without_the_key_ring_never_blank(anna: User) -> None:
    case = case_open(opened_by=anna, keyring=keyring_of(anna), number="2026-007", title="Отказ от командировки")
    stored = Case.objects.get(pk=case.pk)
    assert isinstance(stored.title, Ciphertext)
    assert "Отказ".encode() not in bytes(stored.title)
    with pytest.raises(FieldLocked):
        str(stored.title)
    with pytest.raises(FieldLocked):
        stored.decrypt(None)
    assert stored.decrypt(keyring_of(anna)).title == "Отказ от командировки"


@pytest.mark.django_db
def test_blind_indexes_find_a_person_by_phone_in_any_written_form_and_by_transliterated_surname(
    anna: User, pavel: User
) -> None:
    keyring = keyring_of(anna)
    person = person_create(created_by=anna, keyring=keyring, full_name="Иванов Иван", surname="Иванов",
                           handles=[HandleInput(kind="phone", value="8 (916) 123-45-67")])
    assert list(people_with_phone(actor=anna, keyring=keyring, phone="+79161234567")) == [person]
    assert list(people_with_phone(actor=anna, keyring=keyring, phone="916 123 45 67")) == [person]
    assert list(people_with_surname(actor=anna, keyring=keyring, surname="Ivanov")) == [person]
    assert list(people_with_surname(actor=anna, keyring=keyring, surname="Петров")) == []
    # The index is no plain hash: without the organisation's index key, a known number tells nothing.
    import hashlib

    stored = Handle.objects.get(person=person)
    assert stored.value_index is not None
    assert stored.value_index not in {hashlib.sha256(b"+79161234567").hexdigest()[:32], "+79161234567"}
    # pavel holds the index key but not this person's record key: the person is not his to see.
    assert list(people_with_phone(actor=pavel, keyring=keyring_of(pavel), phone="+79161234567")) == []


@pytest.mark.django_db
def test_a_volunteer_holds_no_organisation_keys(boris: User, anna: User) -> None:
    held = set(KeyGrant.objects.filter(user=boris).values_list("material__kind", flat=True))
    assert held == set()
    assert set(KeyGrant.objects.filter(user=anna, wrapped__isnull=False).values_list("material__kind", flat=True)) == {
        KeyKind.INTAKE, KeyKind.INDEX
    }


# --- grant, revoke, erase -------------------------------------------------------------------


@pytest.mark.django_db
def test_share_then_revoke_a_case(anna: User, pavel: User) -> None:
    case = case_open(opened_by=anna, keyring=keyring_of(anna), number="2026-010", title="Группа 12")
    with pytest.raises(NoAccess):
        case.decrypt(keyring_of(pavel))
    assert list(cases_for(actor=pavel)) == []

    case_share(case=case, to_user=pavel, shared_by=anna, keyring=keyring_of(anna))
    assert case_for(actor=pavel, case_id=case.pk).decrypt(keyring_of(pavel)).title == "Группа 12"

    pavel_ring = keyring_of(pavel)
    case_unshare(case=case, user=pavel, unshared_by=anna)
    assert list(cases_for(actor=pavel)) == []
    with pytest.raises(NoAccess):
        case.decrypt(pavel_ring)  # effective at once, even for a key ring already unlocked


@pytest.mark.django_db
def test_erasing_a_case_shreds_it_for_everyone_including_recovery(
    anna: User, pavel: User, org_kit: OrganisationKit
) -> None:
    keyring = keyring_of(anna)
    case = case_open(opened_by=anna, keyring=keyring, number="2026-011", title="Будет стёрто")
    case_note_add(case=case, author=anna, keyring=keyring, text="заметка")
    case_share(case=case, to_user=pavel, shared_by=anna, keyring=keyring)
    material_id = case.data_key_id
    case_erase(case=case, erased_by=anna)
    assert not KeyGrant.objects.filter(material_id=material_id).exists()
    assert KeyMaterial.objects.get(pk=material_id).destroyed_at is not None
    assert list(cases_for(actor=anna)) == []
    with pytest.raises(NoAccess):
        keyring_of(anna).material(material_id)
    # Recovery cannot bring it back either.
    assert not KeyGrant.objects.filter(material_id=material_id, for_recovery=True).exists()


@pytest.mark.django_db
def test_erasing_a_person_blanks_the_record_and_its_indexes(anna: User) -> None:
    keyring = keyring_of(anna)
    person = person_create(created_by=anna, keyring=keyring, full_name="Сидоров", surname="Сидоров",
                           handles=[HandleInput(kind="phone", value="+79990001122")])
    person_erase(person=person, erased_by=anna)
    stored = Person.objects.get(pk=person.pk)
    assert stored.full_name is None
    assert stored.surname_index is None
    assert Handle.objects.get(person=person).value_index is None
    assert stored.erased_at is not None
    assert list(people_with_phone(actor=anna, keyring=keyring, phone="+79990001122")) == []


# --- password change, reset, rotation, recovery ---------------------------------------------


@pytest.mark.django_db
def test_password_change_rewraps_the_key_and_keeps_every_record(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    case = case_open(opened_by=anna, keyring=keyring_of(anna), number="2026-012", title="До смены пароля")
    new_password = "a brand new long passphrase 5"
    response = verified_client(anna).post(
        "/staff/account/password/",
        {"current_password": PASSWORD, "new_password": new_password, "new_password_again": new_password},
    )
    assert response.status_code == 302
    with pytest.raises(crypto.Tampered):
        keyring_of(anna, PASSWORD)
    assert case.decrypt(keyring_of(anna, new_password)).title == "До смены пароля"


@pytest.mark.django_db
def test_after_an_admin_resets_a_password_only_organisation_keys_return_by_themselves(
    olga: User, anna: User, pavel: User, verified_client: Callable[[User], Client]
) -> None:
    """Whoever resets a password learns the new one: that must not hand them the user's cases."""
    case = case_open(opened_by=anna, keyring=keyring_of(anna), number="2026-013", title="Общее дело")
    case_share(case=case, to_user=pavel, shared_by=anna, keyring=keyring_of(anna))
    page = verified_client(olga).post(f"/staff/users/{pavel.pk}/", {"action": "reset-password"})
    one_time = re.search(rb'data-testid="one-time-password">([^<]+)<', page.content)
    assert one_time is not None
    new_ring = keyring_of(pavel, one_time.group(1).decode())
    with pytest.raises(NoAccess):
        case.decrypt(new_ring)  # the old key pair is gone with the old password
    # anna logs in: the organisation keys pavel's role entitles him to are sealed to his new key...
    client = Client()
    client.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    assert client.post("/staff/2fa/verify/", {"token": current_token(anna)}).status_code == 302
    _, intake = new_ring.current(anna.membership.organisation_id, KeyKind.INTAKE)
    assert len(intake) == 32
    # ...but the case only when someone holding it shares it again.
    with pytest.raises(NoAccess):
        case.decrypt(new_ring)
    case_share(case=case, to_user=pavel, shared_by=anna, keyring=keyring_of(anna))
    assert case.decrypt(new_ring).title == "Общее дело"


@pytest.mark.django_db
def test_a_grant_the_role_does_not_justify_is_never_filled(anna: User, boris: User, org_kit: OrganisationKit) -> None:
    intake = KeyMaterial.objects.get(organisation=org_kit.organisation, kind=KeyKind.INTAKE)
    KeyGrant.objects.create(material=intake, user=boris)  # planted in the database: a volunteer
    client = Client()
    client.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    client.post("/staff/2fa/verify/", {"token": current_token(anna)})
    assert KeyGrant.objects.get(material=intake, user=boris).wrapped is None
    from defensor.access.services import record_access_grant

    with pytest.raises(NoAccess):
        record_access_grant(material=intake, to_user=boris, keyring=keyring_of(anna))


@pytest.mark.django_db
def test_ciphertexts_cannot_be_swapped_between_notes_or_cases(anna: User) -> None:
    from defensor.cases.models import CaseNote

    keyring = keyring_of(anna)
    case = case_open(opened_by=anna, keyring=keyring, number="2026-030", title="Одно")
    first = case_note_add(case=case, author=anna, keyring=keyring, text="первая")
    second = case_note_add(case=case, author=anna, keyring=keyring, text="вторая")
    CaseNote.objects.filter(pk=first.pk).update(text=bytes(CaseNote.objects.get(pk=second.pk).text or b""))
    with pytest.raises(crypto.Tampered):
        CaseNote.objects.get(pk=first.pk).decrypt(keyring)


@pytest.mark.django_db
def test_a_key_pair_the_password_cannot_open_is_replaced_at_login(anna: User) -> None:
    """E.g. a password set outside Defensor: the login still works, with a fresh key pair."""
    anna.set_password("set by hand outside the app 1")
    anna.save()
    old_public = bytes(UserKeyPair.objects.get(user=anna).public_key)
    client = Client()
    response = client.post("/staff/login/", {"username": "anna", "password": "set by hand outside the app 1"})
    assert response.status_code == 302
    assert bytes(UserKeyPair.objects.get(user=anna).public_key) != old_public
    assert client.post("/staff/2fa/verify/", {"token": current_token(anna)}).status_code == 302
    assert "не разблокированы" not in client.get("/staff/").content.decode()


@pytest.mark.django_db
def test_log_out_everywhere_deletes_the_stored_key_rings_at_once(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    from django.contrib.sessions.models import Session

    phone = Client()
    phone.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    phone.post("/staff/2fa/verify/", {"token": current_token(anna)})
    rows_before = Session.objects.count()
    assert rows_before >= 1
    laptop = verified_client(anna)
    assert laptop.post("/staff/account/logout-everywhere/").status_code == 302
    for row in Session.objects.all():
        assert "defensor_keyring" not in row.get_decoded()


@pytest.mark.django_db
def test_role_change_and_disabling_follow_the_keys(olga: User, boris: User, anna: User) -> None:
    accounts.user_set_role(user=boris, role=Role.PARALEGAL, changed_by=olga)
    assert KeyGrant.objects.filter(user=boris, material__kind=KeyKind.INTAKE).exists()  # pending for now
    accounts.user_set_role(user=boris, role=Role.VOLUNTEER, changed_by=olga)
    assert not KeyGrant.objects.filter(user=boris).exists()
    case = case_open(opened_by=anna, keyring=keyring_of(anna), number="2026-014", title="x")
    # A paralegal who becomes a volunteer keeps no case: volunteers work on none.
    accounts.user_set_role(user=boris, role=Role.PARALEGAL, changed_by=olga)
    case_share(case=case, to_user=boris, shared_by=anna, keyring=keyring_of(anna))
    accounts.user_set_role(user=boris, role=Role.VOLUNTEER, changed_by=olga)
    assert not KeyGrant.objects.filter(user=boris, material=case.data_key).exists()
    accounts.user_disable(user=anna, disabled_by=olga)
    assert not KeyGrant.objects.filter(user=anna).exists()
    with pytest.raises(NoAccess):
        case.decrypt(keyring_of(anna))


@pytest.mark.django_db
def test_record_key_rotation_reencrypts_for_the_same_people(
    anna: User, pavel: User, org_kit: OrganisationKit
) -> None:
    keyring = keyring_of(anna)
    case = case_open(opened_by=anna, keyring=keyring, number="2026-015", title="Ротация")
    note = case_note_add(case=case, author=anna, keyring=keyring, text="текст заметки")
    case_share(case=case, to_user=pavel, shared_by=anna, keyring=keyring)
    old_material, old_title = case.data_key, bytes(Case.objects.get(pk=case.pk).title or b"")
    new_material = rotate_record_key(material=old_material, recovery_key=org_kit.recovery_key)
    case.refresh_from_db()
    note.refresh_from_db()
    assert case.data_key_id == new_material.pk == note.data_key_id
    assert bytes(case.title or b"") != old_title
    for user in (anna, pavel):
        assert case.decrypt(keyring_of(user)).title == "Ротация"
        assert note.decrypt(keyring_of(user)).text == "текст заметки"
    assert not KeyGrant.objects.filter(material=old_material).exists()


@pytest.mark.django_db
def test_index_and_intake_rotation_keep_search_and_old_submissions_working(
    anna: User, org_kit: OrganisationKit
) -> None:
    organisation = org_kit.organisation
    person = person_create(created_by=anna, keyring=keyring_of(anna), full_name="Петров", surname="Петров",
                           handles=[HandleInput(kind="phone", value="+79161112233")])
    old_index = Handle.objects.get(person=person).value_index
    rotate_index_key(organisation=organisation, recovery_key=org_kit.recovery_key)
    assert Handle.objects.get(person=person).value_index not in {old_index, None}
    assert list(people_with_phone(actor=anna, keyring=keyring_of(anna), phone="+79161112233")) == [person]

    old_intake = KeyMaterial.objects.get(organisation=organisation, kind=KeyKind.INTAKE, retired_at__isnull=True)
    submission = crypto.seal(bytes(old_intake.public_key or b""), "обращение до ротации".encode())
    new_intake = rotate_intake_key(organisation=organisation, recovery_key=org_kit.recovery_key)
    ring = keyring_of(anna)
    assert crypto.unseal(ring.material(old_intake.pk), submission).decode() == "обращение до ротации"
    current, _ = ring.current(organisation.pk, KeyKind.INTAKE)
    assert current.pk == new_intake.pk


@pytest.mark.django_db
def test_recovery_from_two_of_three_shares_when_everyone_forgot_their_password(
    olga: User, anna: User, org_kit: OrganisationKit
) -> None:
    case = case_open(opened_by=anna, keyring=keyring_of(anna), number="2026-016", title="Не потерять")
    for shares in ([0, 1], [0, 2], [1, 2]):
        out = io.StringIO()
        call_command(
            "recover", admin="olga",
            stdin=io.StringIO("\n".join(org_kit.shares[i] for i in shares) + "\n"), stdout=out,
        )
        one_time = re.search(r"One-time password: (\S+)", out.getvalue())
        assert one_time is not None
        olga.refresh_from_db()
        assert olga.must_change_password
        assert case.decrypt(keyring_of(olga, one_time.group(1))).title == "Не потерять"


@pytest.mark.django_db
def test_one_share_or_a_wrong_share_recovers_nothing(olga: User, org_kit: OrganisationKit) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("recover", admin="olga", stdin=io.StringIO(org_kit.shares[0] + "\n"))
    other = crypto.generate_keypair()
    from defensor.keys import recovery

    foreign = recovery.split(other.private)
    with pytest.raises(CommandError):
        call_command("recover", admin="olga", stdin=io.StringIO("\n".join(foreign[:2]) + "\n"))
    with pytest.raises(CommandError):  # the same share twice is not two shares
        call_command("recover", admin="olga", stdin=io.StringIO(f"{org_kit.shares[0]}\n{org_kit.shares[0]}\n"))
    olga.refresh_from_db()
    assert olga.check_password(PASSWORD)


@pytest.mark.django_db
def test_logout_destroys_the_session_key_ring(anna: User) -> None:
    from django.contrib.sessions.models import Session

    client = Client()
    client.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    client.post("/staff/2fa/verify/", {"token": current_token(anna)})
    assert client.cookies["defensor_keyring"].value
    assert Session.objects.count() == 1
    response = client.post("/staff/logout/")
    for row in Session.objects.all():  # what is left (the logout message) holds no key ring
        assert "defensor_keyring" not in row.get_decoded()
    assert response.cookies["defensor_keyring"].value == ""  # deleted in the browser too


@pytest.mark.django_db
def test_the_cookie_alone_or_the_session_alone_opens_nothing(anna: User) -> None:
    client = Client()
    client.post("/staff/login/", {"username": "anna", "password": PASSWORD})
    client.post("/staff/2fa/verify/", {"token": current_token(anna)})
    assert client.get("/staff/").content.decode().count("не разблокированы") == 0
    stolen_cookie = client.cookies["defensor_keyring"].value
    other = Client()
    other.cookies["defensor_keyring"] = stolen_cookie  # cookie without the session: no login at all
    assert other.get("/staff/")["Location"].startswith("/staff/login/")
    del client.cookies["defensor_keyring"]  # session without the cookie: logged in, keys locked
    assert "не разблокированы" in client.get("/staff/").content.decode()


def test_keyring_never_shows_its_key() -> None:
    ring = KeyRing(7, KEY)
    assert KEY.hex() not in repr(ring)
    assert str(KEY) not in repr(ring)


@pytest.mark.django_db
def test_rotate_command_reencrypts_every_record_with_two_shares(anna: User, org_kit: OrganisationKit) -> None:
    keyring = keyring_of(anna)
    cases = [case_open(opened_by=anna, keyring=keyring, number=f"2026-02{i}", title=f"Дело {i}") for i in range(3)]
    before = {c.pk: c.data_key_id for c in cases}
    out = io.StringIO()
    call_command("keys", "rotate", "--records", stdin=io.StringIO("\n".join(org_kit.shares[1:]) + "\n"), stdout=out)
    assert "Rotated 3 keys." in out.getvalue()
    for case in cases:
        case.refresh_from_db()
        assert case.data_key_id != before[case.pk]
        assert case.decrypt(keyring_of(anna)).title == f"Дело {case.number[-1]}"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("keys", "rotate", "--records", stdin=io.StringIO(org_kit.shares[0] + "\n"))


@pytest.mark.django_db
def test_a_page_can_open_only_the_fields_it_shows(anna: User) -> None:
    """A roster needs a name and a unit: the other fields stay closed (absent, never blank), and
    a field the record does not have is refused."""
    keyring = keyring_of(anna)
    person = person_create(created_by=anna, keyring=keyring, full_name="Гусев Андрей Ильич", unit="в/ч 12345",
                           notes="звонить только сестре")
    shown = Person.objects.get(pk=person.pk).decrypt(keyring, only=("full_name", "unit"))
    assert dict(shown) == {"full_name": "Гусев Андрей Ильич", "unit": "в/ч 12345"}
    with pytest.raises(AttributeError):
        _ = shown.notes
    with pytest.raises(TypeError):
        person.decrypt(keyring, only=("full_nam",))
    assert person.decrypt(keyring).notes == "звонить только сестре"


@pytest.mark.django_db
def test_a_key_ring_opens_many_keys_with_one_query_and_refuses_those_not_held(anna: User, pavel: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    people = [person_create(created_by=anna, keyring=keyring_of(anna), full_name=f"Человек {n}") for n in range(5)]
    theirs = person_create(created_by=pavel, keyring=keyring_of(pavel), full_name="Чужой")
    ring = keyring_of(anna)
    with CaptureQueriesContext(connection) as captured:
        ring.prefetch([p.data_key_id for p in people] + [theirs.data_key_id])
        names = [p.decrypt(ring).full_name for p in people]
    assert (names, len(captured)) == ([f"Человек {n}" for n in range(5)], 1)
    assert not ring.opened(theirs.data_key_id)
    with pytest.raises(NoAccess):
        theirs.decrypt(ring)


def test_decrypt_each_opens_what_encrypt_sealed_and_nothing_else() -> None:
    """The report's bulk decryption (keys.crypto.decrypt_each, straight through libsodium's cffi)."""
    key, other = crypto.random_key(), crypto.random_key()
    sealed = [crypto.encrypt(key, text, aad=b"row-%d" % n) for n, text in enumerate([b"a", b"", b"x" * 5000, b"b"])]
    tampered = bytearray(sealed[0])
    tampered[-1] ^= 1
    opened = crypto.decrypt_each(key, [
        (sealed[0], b"row-0"), (sealed[1], b"row-1"), (sealed[2], b"row-2"), (sealed[3], b"row-3"),
        (sealed[3], b"row-0"),  # moved to another row
        (bytes(tampered), b"row-0"), (sealed[0][:20], b"row-0"), (b"\x02" + sealed[0][1:], b"row-0"),
    ])
    assert opened == [b"a", b"", b"x" * 5000, b"b", None, None, None, None]
    assert crypto.decrypt_each(other, [(sealed[0], b"row-0")]) == [None]
