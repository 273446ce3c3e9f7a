"""A person record kept up to date by the team: the name in parts, birth, addresses, the
identifiers court forms ask for (check digits validated), gender for grammar, service, contacts;
only the fields changed are written, every change keeps the old values, and documents use it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.cases import services as cases
from defensor.documents.catalogue import builtin_templates
from defensor.documents.context import document_snapshot, missing_data
from defensor.documents.services import template_upload
from defensor.people.identifiers import (
    BirthDateInFuture,
    BirthDateInvalid,
    BirthDateTooEarly,
    InnWrongCheck,
    InnWrongLength,
    PassportInvalid,
    SnilsWrongCheck,
    SnilsWrongLength,
    birth_date_parsed,
    inn_check_digits,
    inn_normalised,
    passport_normalised,
    snils_check_number,
    snils_normalised,
)
from defensor.people.matching import Identity
from defensor.people.models import Handle, Person, PersonRevision
from defensor.people.selectors import match_candidates, people_with_surname
from defensor.people.services import (
    HandleInput,
    person_create,
    person_erase,
    person_name_forms_set,
    person_update,
)
from tests.conftest import keyring_of
from tests.docx_files import docx_of

# --- the identifiers, by their issuers' algorithms ------------------------------------------------


def _snils_by_hand(nine: str) -> str:
    """The Pension Fund's rule written out once more, independently, to make valid numbers."""
    total = sum(int(nine[i]) * (9 - i) for i in range(9))
    while total > 101:
        total %= 101
    return "00" if total in (100, 101) else f"{total:02d}"


def _inn_by_hand(ten: str) -> str:
    w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    n11 = sum(int(d) * w for d, w in zip(ten, w11, strict=True)) % 11 % 10
    n12 = sum(int(d) * w for d, w in zip(ten + str(n11), w12, strict=True)) % 11 % 10
    return f"{n11}{n12}"


@pytest.mark.parametrize(("typed", "stored"), [
    ("112-233-445 95", "112-233-445 95"),  # the Pension Fund's own example
    ("12345678964", "123-456-789 64"),
    ("987 654 321 83", "987-654-321 83"),
    (f"555111222{_snils_by_hand('555111222')}", "555-111-222 46"),
    ("001-001-998 00", "001-001-998 00"),  # issued before check numbers: not checked
])
def test_a_valid_snils_is_accepted_and_written_as_the_certificate_prints_it(typed: str, stored: str) -> None:
    assert snils_normalised(typed) == stored


def test_the_snils_check_number_follows_the_pension_fund_rule_at_its_edges() -> None:
    for nine in ("000000001", "123456789", "999999999", "100000000", "011111111", "001001999", "909090909"):
        assert snils_check_number(nine) == _snils_by_hand(nine), nine
    # Weighted sums of 99, 100, 101, 102 and 201: below 100 itself; 100 and 101 give 00; above
    # 101 the remainder of division by 101 (102 → 01), and a remainder of 100 gives 00 again.
    assert snils_check_number("100582052") == "99"
    assert snils_check_number("050234316") == "00"
    assert snils_check_number("016103396") == "00"
    assert snils_check_number("700201621") == "01"
    assert snils_check_number("820981233") == "00"
    assert snils_normalised("820-981-233 00") == "820-981-233 00"


@pytest.mark.parametrize(("typed", "error"), [
    ("112-233-445 96", SnilsWrongCheck),
    ("123-456-789 46", SnilsWrongCheck),
    ("112-233-445 9", SnilsWrongLength),
    ("112-233-445 951", SnilsWrongLength),
    ("112-233-44a 95", SnilsWrongLength),
])
def test_a_wrong_snils_is_refused(typed: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        snils_normalised(typed)


def test_a_valid_inn_of_a_person_is_accepted() -> None:
    assert inn_check_digits("5001007322") == "59" == _inn_by_hand("5001007322")  # the tax service's example
    for ten in ("1234567890", "7712345678", "0000000001", "9999999999"):
        assert inn_check_digits(ten) == _inn_by_hand(ten)
        assert inn_normalised(ten + inn_check_digits(ten)) == ten + inn_check_digits(ten)
    assert inn_normalised("5001 0073 2259") == "500100732259"


@pytest.mark.parametrize(("typed", "error"), [
    ("500100732258", InnWrongCheck),  # the 12th digit wrong
    ("500100732269", InnWrongCheck),  # the 11th digit wrong
    ("7707083893", InnWrongLength),  # an organisation's ИНН
    ("50010073225x", InnWrongLength),
])
def test_a_wrong_inn_is_refused(typed: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        inn_normalised(typed)


def test_a_passport_is_ten_digits_and_a_birth_date_is_real_and_not_in_the_future() -> None:
    assert passport_normalised("45 09 123456") == "4509 123456"
    assert passport_normalised("4509 № 123456") == "4509 123456"
    for wrong in ("4509 12345", "4509 1234567", "45O9 123456"):
        with pytest.raises(PassportInvalid):
            passport_normalised(wrong)
    today = date(2026, 12, 2)
    assert birth_date_parsed("5.3.1990", today=today) == date(1990, 3, 5)
    assert birth_date_parsed("1990-03-05", today=today) == date(1990, 3, 5)
    with pytest.raises(BirthDateInFuture):
        birth_date_parsed("03.12.2026", today=today)
    with pytest.raises(BirthDateTooEarly):
        birth_date_parsed("31.12.1899", today=today)
    for wrong in ("31.02.1990", "1990", "завтра"):
        with pytest.raises(BirthDateInvalid):
            birth_date_parsed(wrong, today=today)


# --- editing through the pages ------------------------------------------------------------------

def _person(lawyer: User, **values: str) -> Person:
    defaults = {"full_name": "Сидоров Алексей Иванович", "surname": "Сидоров", "birth_date": "1990-05-25",
                "unit": "в/ч 12345"}
    return person_create(created_by=lawyer, keyring=keyring_of(lawyer), **{**defaults, **values},
                         handles=[HandleInput(kind="phone", value="+79161234567")])


def _form(client: Client, person: Person) -> dict[str, str]:
    """The edit form as the page fills it (every field, the hidden digests included)."""
    page = client.get(f"/staff/people/{person.pk}/edit/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {k: ("on" if v is True else "" if v in (None, False) else str(v)) for k, v in data.items()
            if v not in (False, None) or k != "postal_same"}


@pytest.mark.django_db
def test_a_lawyer_fills_in_a_record_from_the_person_page_and_the_history_keeps_what_was_there(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    person = _person(anna)
    client = verified_client(anna)
    page = client.get(f"/staff/people/{person.pk}/").content.decode()
    assert f'href="/staff/people/{person.pk}/edit/"' in page  # page 1: the record, with its Edit link

    data = _form(client, person)  # page 2: the form, filled with the record
    assert data["birth_date"] == "25.05.1990"
    data.update({
        "surname": "Сидоров", "given_name": "Алексей", "patronymic": "Иванович", "birth_date": "26.05.1990",
        "birth_place": "г. Курск", "residence_address": "305000, г. Курск, ул. Садовая, д. 1",
        "postal_same": "on", "passport": "38 04 123456", "snils": "11223344595", "inn": "500100732259",
        "service_category": "mobilised", "force": "army", "region": "RU-KRS", "unit": "в/ч 54321",
    })
    saved = client.post(f"/staff/people/{person.pk}/edit/", data, follow=True)
    assert saved.redirect_chain[-1][0] == f"/staff/people/{person.pk}/"  # page 3: back on the record
    text = saved.content.decode()
    for shown in ("26.05.1990", "г. Курск", "3804 123456", "112-233-445 95", "500100732259", "Мобилизованный",
                  "Курская область", "в/ч 54321"):
        assert shown in text, shown
    assert text.count("305000, г. Курск, ул. Садовая, д. 1") >= 2  # residence, and postal the same

    values = Person.objects.get(pk=person.pk).decrypt(keyring_of(anna))
    assert values.birth_date == "1990-05-26"
    assert values.postal_address == values.residence_address
    assert values.full_name == "Сидоров Алексей Иванович"
    history = re.search(r'<section class="card[^"]*" data-testid="person-history">(.*?)</section>', text, re.S)
    assert history is not None
    assert "anna" in history.group(1)
    assert "25.05.1990" in history.group(1)  # the old date of birth, decrypted for the reader
    assert "в/ч 12345" in history.group(1)
    revision = PersonRevision.objects.get(person=person)
    assert "birth_date" in revision.fields
    assert "surname" not in revision.fields  # typed as it was: not a change
    assert b"1990-05-25" not in bytes(revision.previous or b"")  # sealed
    event = AuditEvent.objects.get(action="person.updated")
    assert event.actor_id == anna.pk
    assert set(event.details["fields"]) == set(revision.fields)
    assert "1990" not in json.dumps(event.details, ensure_ascii=False)  # field names, never values


@pytest.mark.django_db
def test_a_wrong_check_digit_is_explained_in_russian_and_nothing_typed_is_lost(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    person = _person(anna)
    client = verified_client(anna)
    data = {**_form(client, person), "snils": "112-233-445 96", "inn": "500100732258",
            "birth_place": "г. Курск", "notes": "позвонить после 19:00"}
    response = client.post(f"/staff/people/{person.pk}/edit/", data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "В номере СНИЛС опечатка" in text
    assert "В номере ИНН опечатка" in text
    for typed in ("112-233-445 96", "500100732258", "г. Курск", "позвонить после 19:00"):
        assert typed in text
    assert not PersonRevision.objects.exists()
    assert not AuditEvent.objects.filter(action="person.updated").exists()
    future = (timezone.localdate() + timedelta(days=1)).strftime("%d.%m.%Y")
    text = client.post(f"/staff/people/{person.pk}/edit/", {**data, "snils": "", "inn": "",
                                                             "birth_date": future}).content.decode()
    assert "Дата рождения не может быть в будущем." in text


@pytest.mark.django_db
def test_two_colleagues_editing_different_fields_keep_both_changes(
    anna: User, pavel: User, verified_client: Callable[[User], Client]
) -> None:
    person = _person(anna)
    from defensor.access.services import record_access_grant

    record_access_grant(material=person.data_key, to_user=pavel, keyring=keyring_of(anna))
    anna_client, pavel_client = verified_client(anna), verified_client(pavel)
    anna_form, pavel_form = _form(anna_client, person), _form(pavel_client, person)
    assert anna_client.post(f"/staff/people/{person.pk}/edit/",
                            {**anna_form, "birth_date": "01.02.1991"}).status_code == 302
    assert pavel_client.post(f"/staff/people/{person.pk}/edit/",
                             {**pavel_form, "unit": "в/ч 99999"}).status_code == 302
    values = Person.objects.get(pk=person.pk).decrypt(keyring_of(anna))
    assert values.birth_date == "1991-02-01"  # Pavel's form still showed the old date: not written back
    assert values.unit == "в/ч 99999"
    assert [r.fields for r in PersonRevision.objects.order_by("pk")] == [["birth_date"], ["unit"]]

    # Both change the same field: the second is told, keeps what they typed, and may save again.
    anna_form, pavel_form = _form(anna_client, person), _form(pavel_client, person)
    anna_client.post(f"/staff/people/{person.pk}/edit/", {**anna_form, "birth_place": "г. Курск"})
    conflict = pavel_client.post(f"/staff/people/{person.pk}/edit/", {**pavel_form, "birth_place": "г. Орёл"})
    assert conflict.status_code == 409
    text = conflict.content.decode()
    assert "коллега" in text
    assert "г. Орёл" in text
    assert Person.objects.get(pk=person.pk).decrypt(keyring_of(anna)).birth_place == "г. Курск"
    again = {name: conflict.context["form"][name].value() for name in ("shown",)}
    assert pavel_client.post(f"/staff/people/{person.pk}/edit/",
                             {**pavel_form, **again, "birth_place": "г. Орёл"}).status_code == 302
    assert Person.objects.get(pk=person.pk).decrypt(keyring_of(anna)).birth_place == "г. Орёл"


@pytest.mark.django_db
def test_the_full_name_follows_its_parts_unless_the_lawyer_types_another(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    person = _person(anna, full_name="Сидоров Алексей")
    person_name_forms_set(person=person, edited_by=anna, keyring=keyring_of(anna), forms={"dative": "Сидорову А."})
    client = verified_client(anna)
    form = _form(client, person)
    client.post(f"/staff/people/{person.pk}/edit/", {**form, "given_name": "Алексей", "patronymic": "Петрович"})
    values = Person.objects.get(pk=person.pk).decrypt(keyring_of(anna))
    assert values.full_name == "Сидоров Алексей Петрович"
    assert values.name_forms is None  # the corrections were of the old name; the history keeps them
    assert "name_forms" in PersonRevision.objects.get().fields

    form = _form(client, person)
    client.post(f"/staff/people/{person.pk}/edit/", {**form, "full_name": "Sidorov Aleksei Petrovich"})
    assert Person.objects.get(pk=person.pk).decrypt(keyring_of(anna)).full_name == "Sidorov Aleksei Petrovich"


@pytest.mark.django_db
def test_a_new_surname_and_birth_date_are_found_by_search_and_matching(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    person = _person(anna)
    client = verified_client(anna)
    client.post(f"/staff/people/{person.pk}/edit/", {**_form(client, person), "surname": "Петров",
                                                     "birth_date": "02.03.1985"})
    keyring = keyring_of(anna)
    assert list(people_with_surname(actor=anna, keyring=keyring, surname="Петров")) == [person]
    assert list(people_with_surname(actor=anna, keyring=keyring, surname="Сидоров")) == []
    found = match_candidates(actor=anna, keyring=keyring, identity=Identity(
        full_name="Петров Алексей Иванович", surname="Петров", birth_date="1985-03-02"))
    assert [c.person_id for c in found] == [person.pk]


@pytest.mark.django_db
def test_contacts_are_added_and_removed_from_the_edit_page_audited(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    person = _person(anna)
    client = verified_client(anna)
    added = client.post(f"/staff/people/{person.pk}/handles/add/",
                        {"kind": "telegram", "value": "@sidorov", "safe_times": "после 19:00"}, follow=True)
    assert "@sidorov" in added.content.decode()
    telegram = Handle.objects.get(person=person, kind="telegram")
    phone = Handle.objects.get(person=person, kind="phone")
    client.post(f"/staff/people/handles/{phone.pk}/remove/")  # not the page's form: nothing removed
    assert Handle.objects.filter(pk=phone.pk).exists()
    assert client.post(f"/staff/people/handles/{phone.pk}/remove/", {"confirm": "remove"}).status_code == 302
    assert list(Handle.objects.filter(person=person)) == [telegram]
    event = AuditEvent.objects.get(action="person.handle_removed")
    assert event.details == {"handle": phone.pk, "kind": "phone"}
    assert AuditEvent.objects.filter(action="person.handle_added", details__handle=telegram.pk).exists()
    empty = client.post(f"/staff/people/{person.pk}/handles/add/", {"kind": "phone", "value": ""})
    assert empty.status_code == 400


@pytest.mark.django_db
def test_only_those_holding_the_key_and_allowed_to_open_cases_may_edit(
    anna: User, boris: User, make_user: Callable[..., User], verified_client: Callable[[User], Client]
) -> None:
    person = _person(anna)
    handle = Handle.objects.get(person=person)
    vera = make_user("vera", Role.LAWYER)  # a lawyer who does not hold this person's key
    for path in (f"/staff/people/{person.pk}/edit/", f"/staff/people/{person.pk}/handles/add/",
                 f"/staff/people/handles/{handle.pk}/remove/"):
        assert verified_client(boris).post(path, {"full_name": "x", "confirm": "remove"}).status_code == 403
        assert verified_client(vera).post(path, {"full_name": "x", "confirm": "remove"}).status_code == 404
    assert verified_client(vera).get(f"/staff/people/{person.pk}/edit/").status_code == 404
    assert Handle.objects.filter(pk=handle.pk).exists()
    assert not PersonRevision.objects.exists()


@pytest.mark.django_db
def test_erasing_a_person_blanks_every_field_and_the_history(anna: User) -> None:
    person = _person(anna)
    person_update(person=person, updated_by=anna, keyring=keyring_of(anna), passport="3804 123456",
                  snils="112-233-445 95", inn="500100732259", birth_place="г. Курск", gender="f")
    person_erase(person=person, erased_by=anna)
    erased = Person.objects.get(pk=person.pk)
    assert all(getattr(erased, name) is None for name in Person.encrypted_field_names())
    assert PersonRevision.objects.get(person=person).previous is None


# --- documents ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_woman_without_a_patronymic_is_written_as_a_woman_once_the_lawyer_says_so(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    keyring = keyring_of(anna)
    person = _person(anna, full_name="Шевчук Женя", surname="Шевчук")
    case = cases.case_open(opened_by=anna, keyring=keyring, title="Отказ", kind="military_admin")
    cases.claimant_add(case=case, person=person, added_by=anna, keyring=keyring)
    template = builtin_templates()[0]

    def claimant() -> dict[str, object]:
        snapshot, _people = document_snapshot(case=case, keyring=keyring_of(anna), representative=anna,
                                              include_withdrawn=False, inputs={}, template=template)
        return dict(snapshot["claimant"])

    before = claimant()
    assert before["female"] is False
    assert before["genitive"] != "Шевчук Жени"
    client = verified_client(anna)
    client.post(f"/staff/people/{person.pk}/edit/", {**_form(client, person), "gender": "f",
                                                     "passport": "3804123456"})
    after = claimant()
    assert after["female"] is True
    assert after["genitive"] == "Шевчук Жени"
    assert after["dative"] == "Шевчук Жене"
    assert after["gender"] == "f"
    assert after["passport"] == "3804 123456"
    # The person page's forms of the name follow too.
    page = client.get(f"/staff/people/{person.pk}/").content.decode()
    assert "Шевчук Жени" in page


@pytest.mark.django_db
def test_the_documents_page_links_a_missing_date_of_birth_to_the_persons_edit_page(
    anna: User, olga: User, verified_client: Callable[[User], Client]
) -> None:
    keyring = keyring_of(anna)
    person = person_create(created_by=anna, keyring=keyring, full_name="Гусев Андрей Ильич", surname="Гусев")
    case = cases.case_open(opened_by=anna, keyring=keyring, title="Отказ", group=True, kind="military_admin",
                           court="Курский гарнизонный военный суд")
    cases.claimant_add(case=case, person=person, added_by=anna, keyring=keyring)
    template = template_upload(uploaded_by=olga, slug="born", title="Справка", content=docx_of(
        "{%p for c in claimants %}", "{{ c.name }}, {{ c.birth_date }}, {{ c.birth_place }}, {{ c.snils }}",
        "{%p endfor %}"))
    client = verified_client(anna)
    page = client.get(f"/staff/cases/{case.pk}/documents/new/", {"template": f"upload:{template.slug}"})
    missing = page.content.decode().split('data-testid="missing"', 1)[1].split("</div>", 1)[0]
    assert missing.count(f'href="/staff/people/{person.pk}/edit/?next=') == 2  # date and place of birth
    assert "СНИЛС" not in missing  # identifiers are optional
    client.post(f"/staff/people/{person.pk}/edit/", {**_form(client, person), "birth_date": "12.03.1994",
                                                     "birth_place": "г. Курск"})
    snapshot, _people = document_snapshot(case=case, keyring=keyring, representative=anna, include_withdrawn=False,
                                          inputs={}, template=builtin_templates()[0])
    from defensor.documents.catalogue import uploaded_info

    assert missing_data(snapshot, uploaded_info(template)) == []
    assert snapshot["claimant"]["birth_place"] == "г. Курск"
    assert snapshot["claimant"]["gender"] == "m"  # as the patronymic shows
