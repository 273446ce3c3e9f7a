"""One word per thing: a case calls the people it is brought for by its procedure — under КАС an
«административный истец», in civil procedure an «истец», in a criminal case a «подзащитный» —
the same on the case page, the roster and the claimant's page (issue 16, item 8)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.cases import services as cases
from defensor.cases.models import CaseKind
from defensor.people.services import person_create
from tests.conftest import keyring_of

pytestmark = pytest.mark.django_db


def _headings(client: Client, kind: str, lawyer: User) -> dict[str, str]:
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Дело", group=True, kind=kind)
    person = person_create(created_by=lawyer, keyring=keyring, full_name="Орлова Мария Ивановна", surname="Орлова")
    claimant = cases.claimant_add(case=case, person=person, added_by=lawyer, keyring=keyring)
    base = f"/staff/cases/{case.pk}/"
    pages = {"case": client.get(base), "roster": client.get(base + "roster/"),
             "claimant": client.get(f"{base}claimants/{claimant.pk}/")}
    assert all(page.status_code == 200 for page in pages.values())
    text = {name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode())) for name, page in pages.items()}
    return {
        "case": text["case"],
        "roster_title": re.search(r"<title>([^<]*)</title>", pages["roster"].content.decode()).group(1),  # type: ignore[union-attr]
        "roster": text["roster"],
        "claimant_title": re.search(r"<title>([^<]*)</title>", pages["claimant"].content.decode()).group(1),  # type: ignore[union-attr]
    }


@pytest.mark.parametrize(("kind", "one", "many"), [
    (CaseKind.MILITARY_ADMIN, "Административный истец", "Административные истцы"),
    (CaseKind.OBJECTION, "Административный истец", "Административные истцы"),
    (CaseKind.SPECIAL_RANK, "Истец", "Истцы"),
    (CaseKind.CRIMINAL, "Подзащитный", "Подзащитные"),
])
def test_a_case_names_its_claimants_by_its_procedure_on_every_page(
    anna: User, verified_client: Callable[[User], Client], kind: str, one: str, many: str
) -> None:
    shown = _headings(verified_client(anna), kind, anna)
    assert f"{many}: 1" in shown["case"]
    assert shown["roster_title"].startswith(f"{many} по делу ")
    assert f"№ {one} " in shown["roster"]  # the roster's column
    assert shown["claimant_title"].startswith(one)
    for page in shown.values():
        assert "заявител" not in page.lower()
