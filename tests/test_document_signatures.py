"""Who signs a claim, and each claimant's identifier, walked through the real pages (issue 18, items
1 and 2). Anna, a lawyer, drafts the administrative claim for her clients:

- with no power of attorney she ticks «Истцы подпишут документ сами»: the claim ends with the date
  and a signature line for each claimant, and nowhere with hers;
- with a general power of attorney she signs, and the claim names that power of attorney as her
  authority, even where she typed only her warrant in the field;
- a claimant whose record holds no identifier (СНИЛС, ИНН or passport: КАС ст. 125 ч. 2 п. 2) is
  listed as missing with a link to their record, and drafting is refused until she fills one in there;
  the claim then prints it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.cases import services as cases
from defensor.cases.models import Case, EventKind
from defensor.documents.context import claimant_identifier
from defensor.documents.models import GeneratedDocument
from defensor.documents.render import document_text
from defensor.people.models import Person
from defensor.people.services import person_create, person_update
from tests.conftest import keyring_of

CLAIM = "builtin:kas22-claim"
TYPED = {"template": CLAIM, "input_respondent": "Командир войсковой части 12345",
         "input_respondent_address": "305000, г. Курск, ул. Военная, д. 1",
         "input_order": "приказ командира войсковой части 12345 от 30.09.2024 № 77",
         "input_authority": "ордер № 15 от 01.11.2026",
         "input_facts": "Аттестация не проводилась.",
         "input_period_reasons": "Копия приказа вручена по истечении срока."}  # the orders of 2024 are out of time
POA = "доверенность от 01.10.2024 № 46 АБ 2345678"
SNILS = {"Гусев Андрей Ильич": "112-233-445 95", "Соколова Мария Петровна": "123-456-789 64"}


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


def _case(lawyer: User, names: list[str], *, snils: bool = True) -> tuple[Case, list[Person]]:
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Увольнение", group=len(names) > 1,
                           kind="military_admin", court="Курский гарнизонный военный суд")
    people = []
    for name in names:
        person = person_create(created_by=lawyer, keyring=keyring, full_name=name, surname=name.split()[0],
                               birth_date="1990-05-25", unit="в/ч 12345")
        person_update(person=person, updated_by=lawyer, keyring=keyring, birth_place="г. Курск",
                      residence_address="305000, г. Курск, ул. Садовая, д. 3",
                      **({"snils": SNILS[name]} if snils else {}))
        claimant = cases.claimant_add(case=case, person=person, added_by=lawyer, keyring=keyring)
        cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                             happened_on=date(2024, 9, 30), claimant=claimant)
        people.append(person)
    return case, people


def _page(client: Client, case: Case) -> str:
    response = client.get(f"/staff/cases/{case.pk}/documents/new/", {"template": CLAIM})
    assert response.status_code == 200
    return response.content.decode()


def _draft(client: Client, case: Case, **extra: str) -> str:
    """Drafts the claim as the form sends it; the DOCX's text as a reader sees it."""
    response = client.post(f"/staff/cases/{case.pk}/documents/new/", {**TYPED, **extra})
    assert response.status_code == 302, response.content.decode()[:3000]
    document = GeneratedDocument.objects.filter(case=case).latest("id")
    docx = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/docx/")
    assert docx.status_code == 200
    return document_text(docx.content).replace("\u00a0", " ")


def _ending(text: str) -> list[str]:
    """The body's last lines, from the date line on (before the tables and the footer that
    document_text appends)."""
    lines = [line for line in text.splitlines() if line.strip()]
    start = max(i for i, line in enumerate(lines) if re.fullmatch(r"«\d\d» [а-я]+ \d{4} г\.", line))
    return list(itertools.takewhile(lambda line: "_______________ /" in line, lines[start + 1:]))


@pytest.mark.django_db
def test_without_a_power_of_attorney_the_claimants_sign_the_claim_themselves(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, _people = _case(lawyer, ["Гусев Андрей Ильич", "Соколова Мария Петровна"])
    client = verified_client(lawyer)
    page = _page(client, case)
    assert "Истцы подпишут документ сами" in page  # one label for a civil and an administrative claim
    assert "Подпишут сами административные истцы" not in page
    text = _draft(client, case, signed_by_claimants="on")
    ending = _ending(text)
    assert ending == [
        "Административный истец\t_______________ /Гусев А. И./",
        "Административный истец\t_______________ /Соколова М. П./",
    ]
    assert "/Смирнова А. В./" not in text  # the representative signs nothing
    assert "доверенност" not in text  # and no power of attorney is claimed
    assert "документ о полномочиях: ордер № 15 от 01.11.2026;" in text  # she appears under her warrant


@pytest.mark.django_db
def test_a_woman_signing_her_own_claim(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, _people = _case(lawyer, ["Соколова Мария Петровна"])
    text = _draft(verified_client(lawyer), case, signed_by_claimants="on")
    assert _ending(text) == ["Административный истец\t_______________ /Соколова М. П./"]
    assert "Административный истец Соколова Мария Петровна проходила военную службу" in text
    assert "которым она уволена с военной службы и исключена из списков" in text
    assert "СНИЛС 123-456-789 64," in text


@pytest.mark.django_db
def test_under_a_general_power_of_attorney_the_representative_signs_and_names_it(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, _people = _case(lawyer, ["Гусев Андрей Ильич", "Соколова Мария Петровна"])
    client = verified_client(lawyer)
    added = client.post("/staff/account/powers-of-attorney/", {
        "number": "46 АБ 2345678", "issuer": "Гусев Андрей Ильич", "issued_on": "2024-10-01", "general": "on",
        "powers": ["sign_and_file", "appeal"]})
    assert added.status_code == 302
    text = _draft(client, case)  # she left only her warrant in the authority field
    assert _ending(text) == ["Представитель административных истцов\t_______________ /Смирнова А. В./"]
    assert f"документ о полномочиях: {POA}; ордер № 15 от 01.11.2026;" in text
    assert f"Документ, подтверждающий полномочия представителя ({POA}; ордер № 15 от 01.11.2026)." in text
    assert "Административный истец\t" not in text
    # As the page fills the field (the power of attorney itself), it is named once.
    again = _draft(client, case, input_authority=POA)
    assert f"документ о полномочиях: {POA};" in again
    assert again.count(POA) == 2  # the parties block and the attachments


@pytest.mark.django_db
def test_a_claimant_without_an_identifier_is_asked_for_it_and_the_claim_prints_it_once_filled(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, (gusev,) = _case(lawyer, ["Гусев Андрей Ильич"], snils=False)
    client = verified_client(lawyer)
    page = _page(client, case)
    missing = re.search(r'data-testid="missing">(.*?)</div>', page, re.S)
    assert missing is not None
    listed = " ".join(re.sub(r"<[^>]+>", " ", missing.group(1)).split())
    assert "идентификатор (СНИЛС, ИНН или паспорт): Гусев А. И." in listed
    edit = f"/staff/people/{gusev.pk}/edit/"
    assert f'href="{edit}?next=' in missing.group(1)  # and back to this form
    refused = client.post(f"/staff/cases/{case.pk}/documents/new/", {**TYPED, "signed_by_claimants": "on"})
    assert refused.status_code == 400
    assert not GeneratedDocument.objects.exists()

    # She follows the link and fills in his СНИЛС on his record.
    form = client.get(edit).context["form"]
    data = {name: str(form.initial.get(name) or "") for name in form.fields}
    assert client.post(edit, {**data, "snils": "11223344595"}).status_code == 302
    assert 'data-testid="missing"' not in _page(client, case)
    text = _draft(client, case, signed_by_claimants="on")
    assert "305000, г. Курск, ул. Садовая, д. 3,\nСНИЛС 112-233-445 95,\nместо военной службы: в/ч 12345" in text


def test_the_one_identifier_is_the_snils_else_the_inn_else_the_passport() -> None:
    assert claimant_identifier(snils="112-233-445 95", inn="500100732259", passport="3801 123456") == (
        "СНИЛС 112-233-445 95")
    assert claimant_identifier(snils="", inn="500100732259", passport="3801 123456") == "ИНН 500100732259"
    assert claimant_identifier(snils=None, inn=None, passport="3801 123456") == "паспорт 3801 123456"
    assert claimant_identifier(snils=None, inn="", passport=None) == ""
