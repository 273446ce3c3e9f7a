"""Powers of attorney (issue 18, item 1): a claim is signed and filed only under a power of attorney
that gives that special power for every claimant it names (КАС ст. 56; ГПК ст. 54). The lawyer
records them on the account page; the generation page says which one the document is signed under
(and fills the authority field from it), or refuses and names the claimants none covers, offering
to let the claimants sign it themselves. Number and issuer are sealed."""

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
from defensor.cases.models import Case, Claimant, EventKind
from defensor.documents.models import GeneratedDocument, PowerOfAttorney
from defensor.documents.render import document_text
from defensor.people.services import person_create, person_update
from tests.canary import Canaries, scan_bytes, stored_bytes
from tests.conftest import keyring_of

NAMES = ["Гусев Андрей Ильич", "Титова Мария Петровна", "Зуев Роман Олегович"]
CLAIM = "builtin:kas22-claim"
REVOKE = "/staff/account/powers-of-attorney/revoke/"
REFUSAL = "Нет действующей доверенности с полномочием на подписание и подачу иска. Без такой доверенности:"


@pytest.fixture
def lawyer(anna: User) -> User:
    anna.document_name = "Смирнова Анна Викторовна"
    anna.document_credentials = "адвокат, рег. № 46/123"
    anna.document_contacts = "г. Курск, ул. Ленина, д. 1"
    anna.save()
    return anna


@pytest.fixture
def no_worker() -> None:
    from defensor.keys.worker import worker_identity_stop

    worker_identity_stop()


def _case(lawyer: User) -> tuple[Case, list[Claimant]]:
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Отказ", group=True, kind="military_admin",
                           court="Курский гарнизонный военный суд")
    claimants = []
    for number, name in enumerate(NAMES):
        person = person_create(created_by=lawyer, keyring=keyring, full_name=name, surname=name.split()[0],
                               birth_date="1990-05-25", unit="в/ч 12345")
        person_update(person=person, updated_by=lawyer, keyring=keyring, birth_place="г. Курск",
                      residence_address="г. Курск, ул. Садовая, д. 3", passport=f"4509 12345{number}")
        claimant = cases.claimant_add(case=case, person=person, added_by=lawyer, keyring=keyring)
        cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                             happened_on=date(2024, 9, 30), claimant=claimant)
        claimants.append(claimant)
    return case, claimants


TYPED = {"template": CLAIM, "input_respondent": "Командир войсковой части 12345",
         "input_respondent_address": "г. Курск, ул. Военная, д. 1",
         "input_order": "приказ командира войсковой части 12345 от 30.09.2024 № 77",
         "input_facts": "Административные истцы отказались от командировки.",
         "input_period_reasons": "Копия приказа вручена по истечении срока."}  # the orders of 2024 are out of time


def _add(client: Client, *, number: str = "46 АБ 2345678", issuer: str = "Гусев Андрей Ильич",
         issued_on: date | None = None, valid_until: date | None = None, people: list[int] | None = None,
         powers: tuple[str, ...] = ("sign_and_file", "appeal")) -> int:
    data: dict[str, object] = {
        "number": number, "issuer": issuer, "issued_on": (issued_on or date(2024, 10, 1)).isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else "", "powers": list(powers),
    }
    if people is None:
        data["general"] = "on"
    else:
        data["people"] = [str(pk) for pk in people]
    return client.post("/staff/account/powers-of-attorney/", data).status_code


def _page(client: Client, case: Case) -> str:
    response = client.get(f"/staff/cases/{case.pk}/documents/new/", {"template": CLAIM})
    assert response.status_code == 200
    return response.content.decode()


def _authority(html: str) -> str:
    found = re.search(r'data-testid="authority">(.*?)</(?:div|p)>\s', html, re.S)
    assert found is not None, html
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


@pytest.mark.django_db
def test_a_claim_is_refused_without_a_power_of_attorney_and_the_page_names_every_claimant(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, _claimants = _case(lawyer)
    client = verified_client(lawyer)
    shown = _authority(_page(client, case))
    assert REFUSAL in shown
    for initials in ("Гусев А. И.", "Титова М. П.", "Зуев Р. О."):
        assert initials in shown
    refused = client.post(f"/staff/cases/{case.pk}/documents/new/", {**TYPED, "input_authority": "ордер № 15"})
    assert refused.status_code == 400
    assert REFUSAL in refused.content.decode()
    assert "Командир войсковой части 12345" in refused.content.decode()  # nothing typed is lost
    assert not GeneratedDocument.objects.exists()

    # The alternative: the claimants sign it themselves; the document's data says so.
    signed = client.post(f"/staff/cases/{case.pk}/documents/new/",
                         {**TYPED, "input_authority": "ордер № 15", "signed_by_claimants": "on"})
    assert signed.status_code == 302
    document = GeneratedDocument.objects.get()
    snapshot = json.loads(document.decrypt(keyring_of(lawyer)).snapshot or "{}")
    assert snapshot["signed_by_claimants"] is True
    assert snapshot["power_of_attorney"] == ""


@pytest.mark.django_db
def test_a_general_power_of_attorney_covers_the_claim_and_fills_in_the_authority(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, _claimants = _case(lawyer)
    client = verified_client(lawyer)
    assert _add(client, issuer="ООО «Щит»") == 302
    account = client.get("/staff/account/").content.decode()
    listed = account.split('data-testid="powers-of-attorney"', 1)[1]
    assert "46 АБ 2345678" in listed
    assert "ООО «Щит»" in listed
    assert "на подписание и подачу иска" in listed
    html = _page(client, case)
    assert _authority(html) == "Полномочия представителя: доверенность от 01.10.2024 № 46 АБ 2345678"
    field = re.search(r'<input[^>]*name="input_authority"[^>]*>', html)
    assert field is not None
    assert 'value="доверенность от 01.10.2024 № 46 АБ 2345678"' in field.group(0)
    response = client.post(f"/staff/cases/{case.pk}/documents/new/",
                           {**TYPED, "input_authority": "доверенность от 01.10.2024 № 46 АБ 2345678"})
    assert response.status_code == 302
    document = GeneratedDocument.objects.get()
    docx = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/docx/").content
    text = document_text(docx).replace("\u00a0", " ")  # «№» is kept with its number by a no-break space
    assert "доверенность от 01.10.2024 № 46 АБ 2345678" in text
    poa = PowerOfAttorney.objects.get()
    requested = AuditEvent.objects.get(action="document.requested")
    assert requested.details["powers_of_attorney"] == [poa.pk]
    assert requested.details["signed_by_claimants"] is False

    # The lawyer's request needs no power of attorney: the warrant suffices, and the page says nothing of one.
    request_page = client.get(f"/staff/cases/{case.pk}/documents/new/", {"template": "builtin:lawyer-request"})
    assert 'data-testid="authority"' not in request_page.content.decode()


@pytest.mark.django_db
def test_a_power_of_attorney_for_two_of_three_claimants_refuses_naming_the_third(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, claimants = _case(lawyer)
    client = verified_client(lawyer)
    form = client.get("/staff/account/powers-of-attorney/").content.decode()
    for name in NAMES:  # the persons the lawyer can read, to choose from
        assert name in form
    assert _add(client, people=[claimants[0].person_id, claimants[1].person_id]) == 302
    card = client.get("/staff/account/").content.decode().split('data-testid="powers-of-attorney"', 1)[1]
    assert "Для: Гусев Андрей Ильич, Титова Мария Петровна." in card
    shown = _authority(_page(client, case))
    assert REFUSAL in shown
    assert "Зуев Р. О." in shown
    assert "Гусев" not in shown
    assert "Титова" not in shown
    assert client.post(f"/staff/cases/{case.pk}/documents/new/",
                       {**TYPED, "input_authority": "x"}).status_code == 400
    # The third client's own power of attorney completes it: both are named.
    assert _add(client, number="46 АА 7654321", issuer="Зуев Роман Олегович", people=[claimants[2].person_id]) == 302
    assert _authority(_page(client, case)) == ("Полномочия представителя: доверенность от 01.10.2024 № 46 АБ 2345678; "
                                               "доверенность от 01.10.2024 № 46 АА 7654321")


@pytest.mark.django_db
def test_an_expired_one_or_one_without_the_power_does_not_count(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, _claimants = _case(lawyer)
    client = verified_client(lawyer)
    today = timezone.localdate()
    assert _add(client, valid_until=today - timedelta(days=1)) == 302
    assert _add(client, number="46 АА 0000001", powers=("appeal", "receive_sums")) == 302
    assert _add(client, number="46 АА 0000002", issued_on=today + timedelta(days=3)) == 302  # not yet issued
    assert REFUSAL in _authority(_page(client, case))
    account = client.get("/staff/account/").content.decode().split('data-testid="powers-of-attorney"', 1)[1]
    assert account.count("сегодня не действует") == 2
    # One that ends today still counts.
    assert _add(client, number="46 АА 0000003", valid_until=today) == 302
    assert "46 АА 0000003" in _authority(_page(client, case))


@pytest.mark.django_db
def test_revoking_is_audited_and_the_claim_is_refused_again_and_no_one_else_can_revoke_it(
    lawyer: User, make_user: Callable[..., User], verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, _claimants = _case(lawyer)
    client = verified_client(lawyer)
    assert _add(client) == 302
    poa = PowerOfAttorney.objects.get()
    added = AuditEvent.objects.get(action="account.power_of_attorney_added")
    assert added.details["power_of_attorney"] == poa.pk
    assert added.details["general"] is True
    ivan = verified_client(make_user("ivan", Role.LAWYER))
    assert ivan.post(REVOKE, {"power_of_attorney": poa.pk}).status_code == 404
    assert ivan.post(REVOKE, {"power_of_attorney": 999999}).status_code == 404
    assert "46 АБ 2345678" not in ivan.get("/staff/account/").content.decode()
    assert "46 АБ 2345678" in _authority(_page(client, case))
    assert client.post(REVOKE, {"power_of_attorney": poa.pk}).status_code == 302
    revoked = AuditEvent.objects.get(action="account.power_of_attorney_revoked")
    assert revoked.actor_id == lawyer.pk
    assert revoked.details == {"power_of_attorney": poa.pk}
    poa.refresh_from_db()
    assert poa.revoked_at is not None
    assert poa.revoked_by_id == lawyer.pk
    assert REFUSAL in _authority(_page(client, case))
    assert client.post(REVOKE, {"power_of_attorney": poa.pk}).status_code == 302  # twice: once
    assert AuditEvent.objects.filter(action="account.power_of_attorney_revoked").count() == 1


@pytest.mark.django_db
def test_the_number_and_issuer_are_sealed_and_never_in_the_audit_log(
    lawyer: User, verified_client: Callable[[User], Client],
) -> None:
    canaries = Canaries()
    client = verified_client(lawyer)
    number, issuer = canaries.new("poa-number"), canaries.new("poa-issuer")
    assert _add(client, number=number, issuer=issuer) == 302
    assert number in client.get("/staff/account/").content.decode()  # shown to its holder
    assert scan_bytes("power of attorney rows", stored_bytes(PowerOfAttorney), canaries) == []
    assert scan_bytes("audit", stored_bytes(AuditEvent), canaries) == []


@pytest.mark.django_db
def test_a_refused_form_says_why_and_access_is_like_the_rest_of_documents(
    lawyer: User, make_user: Callable[..., User], verified_client: Callable[[User], Client],
) -> None:
    case, claimants = _case(lawyer)
    client = verified_client(lawyer)
    refused = client.post("/staff/account/powers-of-attorney/", {
        "number": "1", "issuer": "Гусев", "issued_on": "2024-10-01", "powers": ["sign_and_file"]})
    assert refused.status_code == 400  # neither general nor for anyone
    assert "Выберите, на кого выдана доверенность" in refused.content.decode()
    assert _add(client, issued_on=date(2024, 10, 1), valid_until=date(2024, 9, 1)) == 400
    assert not PowerOfAttorney.objects.exists()
    # A person the lawyer cannot read cannot be named.
    ivan = make_user("ivan", Role.LAWYER)
    assert "Гусев" not in verified_client(ivan).get("/staff/account/powers-of-attorney/").content.decode()
    assert _add(verified_client(ivan), people=[claimants[0].person_id]) == 400
    assert verified_client(ivan).get(f"/staff/cases/{case.pk}/documents/new/",
                                     {"template": CLAIM}).status_code == 404
    volunteer = verified_client(make_user("vera", Role.VOLUNTEER))
    assert _add(volunteer) == 403
    assert not PowerOfAttorney.objects.exists()


# --- merges: a power of attorney was signed by a human being, not by a record ------------------


def _card(client: Client) -> str:
    return client.get("/staff/account/").content.decode().split('data-testid="powers-of-attorney"', 1)[1]


@pytest.mark.django_db
def test_a_power_of_attorney_for_a_duplicate_record_covers_the_claimant_once_merged_and_not_once_separated(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    """Anna recorded Гусев's power of attorney against the record his call to the hotline made
    (Latin spelling); the claim's claimant is the other record. Merging them through the person
    page makes it cover the claim; separating them again refuses as before. The power of attorney
    itself is never rewritten."""
    case, claimants = _case(lawyer)
    client = verified_client(lawyer)
    duplicate = person_create(created_by=lawyer, keyring=keyring_of(lawyer), full_name="Gusev Andrei Ilich",
                              surname="Gusev")
    assert _add(client, people=[duplicate.pk, claimants[1].person_id, claimants[2].person_id]) == 302
    poa = PowerOfAttorney.objects.get()
    shown = _authority(_page(client, case))
    assert REFUSAL in shown
    assert "Гусев А. И." in shown
    assert "Титова" not in shown
    assert "Для: Gusev Andrei Ilich, Зуев Роман Олегович, Титова Мария Петровна." in _card(client)

    merged = client.post(f"/staff/people/{duplicate.pk}/merge/", {"into": claimants[0].person_id})
    assert merged.status_code == 302
    assert _authority(_page(client, case)) == "Полномочия представителя: доверенность от 01.10.2024 № 46 АБ 2345678"
    card = _card(client)  # the duplicate is named by the record it was merged into
    assert "Для: Гусев Андрей Ильич, Зуев Роман Олегович, Титова Мария Петровна." in card
    assert "Gusev" not in card
    drafted = client.post(f"/staff/cases/{case.pk}/documents/new/",
                          {**TYPED, "input_authority": "доверенность от 01.10.2024 № 46 АБ 2345678"})
    assert drafted.status_code == 302
    assert AuditEvent.objects.get(action="document.requested").details["powers_of_attorney"] == [poa.pk]

    assert client.post(f"/staff/people/{duplicate.pk}/unmerge/").status_code == 302
    shown = _authority(_page(client, case))
    assert REFUSAL in shown
    assert "Гусев А. И." in shown
    assert "Gusev Andrei Ilich" in _card(client)
    poa.refresh_from_db()
    assert poa.people == sorted([duplicate.pk, claimants[1].person_id, claimants[2].person_id])


@pytest.mark.django_db
def test_a_claimant_whose_record_is_merged_into_another_stays_covered_by_the_power_of_attorney_naming_it(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    """The other direction: the power of attorney names the claimant's record, and that record is
    merged into a fuller one (the claim now names the fuller record). Still the same man, still
    covered; separated again, his claim is back on the record it names."""
    case, claimants = _case(lawyer)
    client = verified_client(lawyer)
    assert _add(client, people=[c.person_id for c in claimants]) == 302
    fuller = person_create(created_by=lawyer, keyring=keyring_of(lawyer), full_name="Зуев Роман Олегович",
                           surname="Зуев", birth_date="1990-05-25")
    person_update(person=fuller, updated_by=lawyer, keyring=keyring_of(lawyer), birth_place="г. Курск",
                  residence_address="г. Курск, ул. Садовая, д. 3", passport="4509 123459")
    assert client.post(f"/staff/people/{claimants[2].person_id}/merge/", {"into": fuller.pk}).status_code == 302
    assert Claimant.objects.get(pk=claimants[2].pk).person_id == fuller.pk
    assert _authority(_page(client, case)) == "Полномочия представителя: доверенность от 01.10.2024 № 46 АБ 2345678"
    assert client.post(f"/staff/people/{claimants[2].person_id}/unmerge/").status_code == 302
    assert Claimant.objects.get(pk=claimants[2].pk).person_id == claimants[2].person_id
    assert _authority(_page(client, case)) == "Полномочия представителя: доверенность от 01.10.2024 № 46 АБ 2345678"
    # A power of attorney for the fuller record alone never covered him before the merge, nor after it.
    PowerOfAttorney.objects.update(revoked_at=timezone.now())
    others = [claimants[0].person_id, claimants[1].person_id]
    assert _add(client, number="46 АА 1111111", people=[*others, fuller.pk]) == 302
    shown = _authority(_page(client, case))
    assert REFUSAL in shown
    assert "Зуев Р. О." in shown


# --- choosing whom it covers, among hundreds --------------------------------------------------

SURNAMES = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Соколов", "Михайлов",
            "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов",
            "Козлов", "Степанов"]
GIVEN = ["Андрей", "Борис", "Виктор", "Глеб", "Денис", "Евгений", "Игорь", "Кирилл", "Леонид", "Максим", "Никита",
         "Олег", "Павел", "Роман", "Сергей"]
ADD = "/staff/account/powers-of-attorney/"


def three_cases_of_a_hundred(lawyer: User) -> list[tuple[Case, list[int]]]:
    """300 people, 100 claimants in each of three group claims (person ids in each)."""
    keyring = keyring_of(lawyer)
    names = [f"{surname} {given} Иванович" for surname in SURNAMES for given in GIVEN]
    made = []
    for number in range(3):
        case = cases.case_open(opened_by=lawyer, keyring=keyring, title=f"Отказ от командировки, группа {number + 1}",
                               number=f"2026-01{number}", group=True, kind="military_admin")
        people = []
        for name in names[number * 100:(number + 1) * 100]:
            person = person_create(created_by=lawyer, keyring=keyring, full_name=name, surname=name.split()[0])
            cases.claimant_add(case=case, person=person, added_by=lawyer, keyring=keyring)
            people.append(person.pk)
        made.append((case, people))
    return made


def _ticked(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="people" value="(\d+)" checked', html)}


def _boxes(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="people" value="(\d+)"', html)}


def _groups(html: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", found).split())
            for found in re.findall(r"<summary>(.*?)</summary>", html, re.S)]


PARTICULARS = {"number": "46 АА 5555555", "issuer": "Козлов Андрей Иванович", "issued_on": "2024-10-01",
               "powers": ["sign_and_file", "appeal"]}


@pytest.mark.django_db
def test_the_add_page_groups_three_hundred_people_by_case_and_a_case_link_ticks_its_claimants(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    made = three_cases_of_a_hundred(lawyer)
    (_first, first_people), (second, second_people), (_third, third_people) = made
    client = verified_client(lawyer)
    page = client.get(ADD).content.decode()
    # The case filter offers the three cases by number and title; every person has one box, in their case's group.
    select = re.search(r'<select name="case".*?</select>', page, re.S)
    assert select is not None
    for case, _people in made:
        assert f'value="{case.pk}"' in select.group(0)
        assert f"{case.number} · Отказ от командировки" in select.group(0)
    assert _boxes(page) == set(first_people + second_people + third_people)
    assert _ticked(page) == set()
    groups = _groups(page)
    assert len(groups) == 3
    assert any(g.startswith(f"{second.number} · Отказ от командировки, группа 2 100 человек") for g in groups), groups

    # From the second case's documents page, where the claim was refused: its claimants ticked, the others not listed.
    documents = client.get(f"/staff/cases/{second.pk}/documents/new/", {"template": CLAIM}).content.decode()
    link = re.search(r'<a href="([^"]+)" data-testid="poa-add-for-case">([^<]+)</a>', documents)
    assert link is not None
    assert link.group(2) == "Добавьте доверенность от истцов этого дела"
    page = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert _ticked(page) == set(second_people)
    assert _boxes(page) == set(second_people)
    assert f'<option value="{second.pk}" selected>' in page
    assert _groups(page)[0].startswith(f"{second.number} · Отказ от командировки, группа 2 100 человек, отмечено 100")

    # A surname narrows the list (found through the blind indexes); what is ticked stays ticked, listed apart.
    found = client.post(ADD, {**PARTICULARS, "people": [str(pk) for pk in second_people], "case": "", "q": "козлов анд",
                              "show": "1"})
    assert found.status_code == 200
    html = found.content.decode()
    assert "Найден 1 человек." in html
    kozlov = next(pk for pk in third_people if pk not in second_people and f'value="{pk}"' in html)
    assert _boxes(html) == set(second_people) | {kozlov}
    assert _ticked(html) == set(second_people)
    assert _groups(html)[-1].startswith("Отмечены, но не в показанном списке 100 человек")
    assert 'value="46 АА 5555555"' in html  # the particulars typed are kept
    assert "козлов анд" not in json.dumps([e.details for e in AuditEvent.objects.all()], ensure_ascii=False)

    # Add without a date: refused, and every tick survives (the searched one ticked too).
    refused = client.post(ADD, {**PARTICULARS, "issued_on": "", "q": "козлов анд", "case": "",
                                "people": [str(pk) for pk in [*second_people, kozlov]], "add": "1"})
    assert refused.status_code == 400
    assert _ticked(refused.content.decode()) == {*second_people, kozlov}
    assert not PowerOfAttorney.objects.exists()
    added = client.post(ADD, {**PARTICULARS, "q": "", "case": "",
                              "people": [str(pk) for pk in [*second_people, kozlov]], "add": "1"})
    assert added.status_code == 302
    assert PowerOfAttorney.objects.get().people == sorted([*second_people, kozlov])
    assert _authority(_page(client, second)) == "Полномочия представителя: доверенность от 01.10.2024 № 46 АА 5555555"


@pytest.mark.django_db
def test_tick_all_ticks_a_case_and_a_person_in_two_cases_has_one_box(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, claimants = _case(lawyer)
    other = cases.case_open(opened_by=lawyer, keyring=keyring_of(lawyer), title="Выплаты", number="2026-0099")
    both = claimants[1].person
    cases.claimant_add(case=other, person=both, added_by=lawyer, keyring=keyring_of(lawyer))
    client = verified_client(lawyer)
    page = client.get(ADD).content.decode()
    assert page.count(f'name="people" value="{both.pk}"') == 1
    assert "Титова Мария Петровна: см. дело" in page
    ticked = client.post(ADD, {"number": "1", "q": "", "case": "", "tick_case": str(case.pk)})
    assert ticked.status_code == 200
    assert _ticked(ticked.content.decode()) == {c.person_id for c in claimants}
    assert 'value="1"' in ticked.content.decode()
    assert "Обязательное поле" not in ticked.content.decode()  # nothing judged before "Add"
    short = client.post(ADD, {"q": "Зу", "case": "", "show": "1"}).content.decode()
    assert "Введите хотя бы первые три буквы фамилии." in short
