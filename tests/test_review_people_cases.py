"""A review of the editable person record, merging and the roster's actions, as their users would
try them: odd input never breaks a page and keeps what was typed; a partner lawyer cannot edit or
merge; a claimant folded into another by a merge cannot be changed through a forged form; a
single claim whose only claimant was added by mistake takes the right person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases import merging
from defensor.cases import services as cases
from defensor.cases.models import Case, CaseEvent, Claimant, ClaimantStatus, ClaimantStatusChange, WithdrawalReason
from defensor.people.models import Handle, Person, PersonRevision
from defensor.people.services import HandleInput, person_create
from tests.conftest import keyring_of
from tests.test_cases import TWELVE, _elements, _group_case, _text

pytestmark = pytest.mark.django_db
MakeUser = Callable[..., User]
ClientFor = Callable[[User], Client]


def _url(name: str, *args: int) -> str:
    return reverse(f"staff:{name}", args=args)


def _person(lawyer: User, name: str = "Сидоров Пётр Ильич") -> Person:
    return person_create(created_by=lawyer, keyring=keyring_of(lawyer), full_name=name, surname=name.split()[0],
                         handles=[HandleInput(kind="phone", value="+79161234567")])


def _claim(lawyer: User, names: list[str]) -> tuple[Case, list[Claimant]]:
    """A group claim of these people, each record with a phone number."""
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Росгвардия", group=True, kind="military_admin")
    return case, [cases.claimant_add(case=case, person=_person(lawyer, name), added_by=lawyer, keyring=keyring)
                  for name in names]


def _edit_form(client: Client, person: Person) -> dict[str, str]:
    """The edit form as the page fills it (hidden digests included)."""
    page = client.get(_url("person-edit", person.pk))
    form = page.context["form"]
    return {name: str(form.initial.get(name) or "") for name in form.fields}


# --- odd input on the edit page ------------------------------------------------------------------


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("birth_date", "31.02.2022", "Укажите дату рождения в виде дд.мм.гггг"),
    ("birth_date", "01.01.2999", "Дата рождения не может быть в будущем"),
    ("birth_date", "0" * 5000, "не более 20 символов"),
    ("surname", "Иван\x00ов", "ноль-байт"),
    ("birth_place", "г. Курск " * 200, "не более 300 символов"),
    ("snils", "112-233-445 96", "опечатка"),
    ("inn", "500100732258", "опечатка"),
    ("passport", "серия 45 номер 09", "10 цифр"),
])
def test_odd_input_on_the_edit_page_is_explained_and_what_was_typed_stays(
    anna: User, verified_client: ClientFor, field: str, typed: str, message: str
) -> None:
    person = _person(anna)
    client = verified_client(anna)
    form = {**_edit_form(client, person), "residence_address": "г. Курск, ул. Ленина, д. 1", field: typed}
    response = client.post(_url("person-edit", person.pk), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert message.lower() in _text(page).lower()
    assert "г. Курск, ул. Ленина, д. 1" in page  # the other field typed is still there
    # Said at the top of the form too: on a phone the field in error may be three screens down.
    summary = page.find('data-testid="form-errors"')
    assert -1 < summary < page.find('id="id_full_name"')
    assert "Ничего не сохранено" in _text(page[summary:page.find('id="id_full_name"')])
    assert not PersonRevision.objects.exists()
    assert not AuditEvent.objects.filter(action="person.updated").exists()


def test_a_forged_or_missing_form_signature_changes_nothing(anna: User, verified_client: ClientFor) -> None:
    person = _person(anna)
    client = verified_client(anna)
    for shown, said in (("", "Ничего не изменено"), ("garbage", "Ничего не изменено"), ("\x00", "ноль-байт")):
        form = {**_edit_form(client, person), "shown": shown, "birth_place": "г. Курск"}
        response = client.post(_url("person-edit", person.pk), form)
        assert response.status_code == 400
        assert said in _text(response.content.decode())  # said on the page, not only in a hidden field's errors
    assert not PersonRevision.objects.exists()


def test_the_audit_of_an_edit_names_fields_never_values(anna: User, verified_client: ClientFor) -> None:
    person = _person(anna)
    client = verified_client(anna)
    form = {**_edit_form(client, person), "birth_date": "05.03.1990", "snils": "112-233-445 95",
            "residence_address": "г. Курск, ул. Ленина, д. 1"}
    assert client.post(_url("person-edit", person.pk), form).status_code == 302
    event = AuditEvent.objects.get(action="person.updated")
    assert sorted(event.details["fields"]) == ["birth_date", "residence_address", "snils"]
    flat = str(event.details)
    for value in ("1990", "Курск", "445"):
        assert value not in flat


# --- who may edit and merge ----------------------------------------------------------------------


def test_a_partner_lawyer_cannot_edit_merge_or_record_for_several(
    anna: User, petra: User, verified_client: ClientFor
) -> None:
    keyring = keyring_of(anna)
    case, claimants = _claim(anna, TWELVE[:2])
    cases.case_share(case=case, to_user=petra, shared_by=anna, keyring=keyring)  # she reads the people too
    person = claimants[0].person
    duplicate = claimants[1].person
    handle = Handle.objects.get(person=person)
    client = verified_client(petra)
    assert client.get(_url("case-roster", case.pk)).status_code == 200  # she works on the case
    for path, data in [
        (_url("person-edit", person.pk), {}),
        (_url("person-handle-add", person.pk), {"kind": "phone", "value": "+79160000000"}),
        (_url("handle-remove", handle.pk), {"confirm": "remove"}),
        (_url("person-merge", duplicate.pk), {"into": str(person.pk)}),
        (_url("person-unmerge", duplicate.pk), {}),
        (_url("case-roster-events", case.pk), {"claimants": [str(c.pk) for c in claimants],
                                               "event-kind": "hearing", "event-happened_on": "2026-01-10"}),
        (_url("case-roster-status", case.pk), {"claimants": [str(claimants[0].pk)], "status": "removed",
                                               "effective_on": "2026-01-10"}),
    ]:
        assert client.get(path).status_code in (403, 405), path
        assert client.post(path, data).status_code == 403, path
    assert Person.objects.get(pk=duplicate.pk).merged_into_id is None
    assert not CaseEvent.objects.filter(case=case).exists()
    assert Handle.objects.filter(pk=handle.pk).exists()


def test_writes_are_post_only(anna: User, verified_client: ClientFor) -> None:
    case, claimants = _claim(anna, TWELVE[:2])
    person, duplicate = claimants[0].person, claimants[1].person
    client = verified_client(anna)
    handle = Handle.objects.get(person=person)
    for path in (_url("person-merge", duplicate.pk), _url("person-unmerge", duplicate.pk),
                 _url("case-roster-events", case.pk), _url("handle-remove", handle.pk)):
        assert client.get(path).status_code == 405, path
    assert Person.objects.get(pk=duplicate.pk).merged_into_id is None


# --- odd ids in POST -----------------------------------------------------------------------------


@pytest.mark.parametrize("into", ["", "abc", "\x00", "1e3", "9" * 40, "-1"])
def test_merging_into_an_odd_id_merges_nothing(anna: User, verified_client: ClientFor, into: str) -> None:
    _case, claimants = _group_case(anna, "Росгвардия", TWELVE[:2])
    duplicate = claimants[1].person
    response = verified_client(anna).post(_url("person-merge", duplicate.pk), {"into": into}, follow=True)
    assert response.status_code == 200
    assert "Выберите карточку" in _text(response.content.decode())
    assert Person.objects.get(pk=duplicate.pk).merged_into_id is None


@pytest.mark.parametrize("ids", [["abc"], ["9" * 40], ["-1"], ["\x00"]])
def test_recording_for_odd_claimant_ids_records_nothing(
    anna: User, verified_client: ClientFor, ids: list[str]
) -> None:
    case, _claimants = _group_case(anna, "Росгвардия", TWELVE[:2])
    response = verified_client(anna).post(_url("case-roster-events", case.pk), {
        "claimants": ids, "event-kind": "hearing", "event-happened_on": "2026-01-10"})
    assert response.status_code == 400
    assert not CaseEvent.objects.filter(case=case).exists()


# --- a membership folded by a merge, and one removed as added by mistake ---------------------------


def _merged_pair(anna: User) -> tuple[Claimant, Claimant]:
    """Ivanov wrote in twice and both records became claimants; the second is merged into the first."""
    keyring = keyring_of(anna)
    case, claimants = _group_case(anna, "Росгвардия", TWELVE[:3])
    second = cases.claimant_add(case=case, person=_person(anna, TWELVE[0]), added_by=anna, keyring=keyring)
    merging.people_merge(source=second.person, into=claimants[0].person, merged_by=anna, keyring=keyring,
                         keep_status={})
    second.refresh_from_db()
    assert second.merged_into_id == claimants[0].pk
    return claimants[0], second


def test_a_membership_folded_by_a_merge_cannot_be_given_a_status_or_an_event_by_a_forged_form(
    anna: User, verified_client: ClientFor
) -> None:
    kept, hidden = _merged_pair(anna)
    client = verified_client(anna)
    history = ClaimantStatusChange.objects.filter(claimant=hidden).count()
    response = client.post(_url("case-roster-status", kept.case_id), {
        "claimants": [str(hidden.pk)], "status": "withdrawn", "reason": "voluntary", "effective_on": "2026-01-10"})
    assert response.status_code == 400
    hidden.refresh_from_db()
    assert hidden.status == ClaimantStatus.ACTIVE
    assert ClaimantStatusChange.objects.filter(claimant=hidden).count() == history
    response = client.post(_url("case-roster-events", kept.case_id), {
        "claimants": [str(hidden.pk)], "event-kind": "hearing", "event-happened_on": "2026-01-10"})
    assert response.status_code == 400
    assert not CaseEvent.objects.filter(claimant=hidden).exists()


def test_a_group_claim_whose_second_membership_was_merged_away_can_become_a_single_claim(anna: User) -> None:
    keyring = keyring_of(anna)
    case = cases.case_open(opened_by=anna, keyring=keyring, title="Один", group=True, kind="military_admin")
    first = cases.claimant_add(case=case, person=_person(anna, TWELVE[0]), added_by=anna, keyring=keyring)
    second = cases.claimant_add(case=case, person=_person(anna, TWELVE[0]), added_by=anna, keyring=keyring)
    merging.people_merge(source=second.person, into=first.person, merged_by=anna, keyring=keyring, keep_status={})
    case.refresh_from_db()
    updated = cases.case_update(case=case, edited_by=anna, keyring=keyring, version=case.version, title="Один",
                                summary="", kind=case.kind, stage=case.stage, outcome=case.outcome, court="",
                                court_number="", group=False)
    assert updated.group is False


def test_a_single_claim_whose_claimant_was_added_by_mistake_takes_the_right_person(
    anna: User, verified_client: ClientFor
) -> None:
    keyring = keyring_of(anna)
    case = cases.case_open(opened_by=anna, keyring=keyring, title="Иванов", group=False, kind="military_admin")
    wrong = cases.claimant_add(case=case, person=_person(anna, "Иванов Сергей Павлович"), added_by=anna,
                               keyring=keyring)
    cases.claimants_status_set(case=case, claimant_ids=[wrong.pk], recorded_by=anna, keyring=keyring,
                               status="removed", effective_on=date(2026, 1, 10))
    right = cases.claimant_add(case=case, person=_person(anna, TWELVE[0]), added_by=anna, keyring=keyring)
    assert right.case_id == case.pk
    # The mistaken one cannot come back while the single claim has its claimant: it would be two.
    with pytest.raises(cases.NotAGroupCase):
        cases.claimants_status_set(case=case, claimant_ids=[wrong.pk], recorded_by=anna, keyring=keyring,
                                   status="active", effective_on=date(2026, 1, 11))
    wrong.refresh_from_db()
    assert wrong.status == ClaimantStatus.REMOVED


def test_the_duplicates_page_no_longer_lists_the_claim_folded_into_the_kept_record(
    anna: User, verified_client: ClientFor
) -> None:
    kept, hidden = _merged_pair(anna)
    client = verified_client(anna)
    duplicate_page = client.get(_url("person", hidden.person_id)).content.decode()
    assert kept.case.number not in _text(duplicate_page.split("<h2>Дела</h2>", 1)[1].split("</section>", 1)[0])
    kept_page = client.get(_url("person", kept.person_id)).content.decode()
    assert kept.case.number in _text(kept_page.split("<h2>Дела</h2>", 1)[1].split("</section>", 1)[0])


def test_the_case_page_does_not_list_the_deadlines_of_someone_added_by_mistake_as_having_left(
    anna: User, verified_client: ClientFor
) -> None:
    keyring = keyring_of(anna)
    case, claimants = _claim(anna, TWELVE[:2])
    for claimant in claimants:
        cases.case_event_add(case=case, recorded_by=anna, keyring=keyring, kind="dismissal_order",
                             happened_on=date(2022, 3, 1), claimant=claimant)
    cases.case_event_add(case=case, recorded_by=anna, keyring=keyring, kind="lawyer_request",
                         happened_on=date(2026, 11, 2))  # the whole case's: its reply is due
    cases.claimants_status_set(case=case, claimant_ids=[claimants[1].pk], recorded_by=anna, keyring=keyring,
                               status="removed", effective_on=date(2026, 1, 10))
    page = verified_client(anna).get(_url("case", case.pk)).content.decode()
    rows = [_text(row) for row in _elements(page, "deadline")]
    assert rows, "the case's own deadline and the one claimant's are listed"
    assert not any(TWELVE[1] in row for row in rows)
    assert any(TWELVE[0] in row for row in rows)
    assert not any("вышел" in row or "left the claim" in row for row in rows)


def test_the_merge_question_says_which_record_is_the_duplicate_and_why_one_withdrew(
    anna: User, verified_client: ClientFor
) -> None:
    keyring = keyring_of(anna)
    case, claimants = _claim(anna, TWELVE[:2])
    second = cases.claimant_add(case=case, person=_person(anna, TWELVE[0]), added_by=anna, keyring=keyring)
    cases.claimants_status_set(case=case, claimant_ids=[second.pk], recorded_by=anna, keyring=keyring,
                               status="withdrawn", effective_on=date(2026, 1, 5), reason="command")
    asked = verified_client(anna).post(_url("person-merge", second.person_id), {"into": str(claimants[0].person_id)})
    assert asked.status_code == 200
    (choice,) = [_text(c) for c in _elements(asked.content.decode(), "status-choice")]
    with translation.override("ru"):
        command = str(WithdrawalReason.COMMAND.label)
    assert f"{TWELVE[0]} (карточка, которая остаётся): участвует" in choice
    assert f"{TWELVE[0]} (дубликат): вышел из иска, с 05.01.2026 — {command}" in choice
