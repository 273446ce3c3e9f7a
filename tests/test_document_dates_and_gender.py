"""What a document is filled with speaks Russian as a court writes it: a date in a sentence is
«1 марта 2022 г.», the «01» style only on the date line of the form, and a claimant the lawyer
recorded as a woman keeps a woman's name undeclined where the name alone reads as a man's."""

from __future__ import annotations

from datetime import date

import pytest

from defensor.accounts.models import User
from defensor.cases import services as cases
from defensor.cases.models import EventKind
from defensor.documents.catalogue import builtin_templates
from defensor.documents.context import document_snapshot
from defensor.people.services import person_create, person_update
from tests.conftest import keyring_of


@pytest.mark.django_db
def test_running_text_dates_have_no_leading_zero_and_the_recorded_gender_decides(anna: User) -> None:
    anna.document_name = "Смирнова Анна Викторовна"
    anna.save()
    keyring = keyring_of(anna)
    case = cases.case_open(opened_by=anna, keyring=keyring, title="Отказ", group=True, kind="military_admin",
                           court="Курский гарнизонный военный суд")
    nur = person_create(created_by=anna, keyring=keyring, full_name="Шмидт Нур", surname="Шмидт")
    person_update(person=nur, updated_by=anna, keyring=keyring, gender="f")
    franz = person_create(created_by=anna, keyring=keyring, full_name="Шмидт Франц", surname="Шмидт")
    for person in (nur, franz):
        claimant = cases.claimant_add(case=case, person=person, added_by=anna, keyring=keyring)
        cases.case_event_add(case=case, recorded_by=anna, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                             happened_on=date(2022, 3, 1), claimant=claimant)
    cases.case_event_add(case=case, recorded_by=anna, keyring=keyring, kind=EventKind.DECISION,
                         happened_on=date(2026, 10, 5))
    template = next(t for t in builtin_templates() if t.key == "builtin:appeal")

    snapshot, _read = document_snapshot(case=case, keyring=keyring_of(anna), representative=anna,
                                        include_withdrawn=False, inputs={}, template=template,
                                        today=date(2026, 11, 3))

    assert snapshot["today"] == "«03» ноября 2026 г."  # the form's date line keeps its style
    assert snapshot["case"]["decision_date"] == "5 октября 2026 г."
    assert snapshot["case"]["decision_date_short"] == "05.10.2026"
    woman, man = snapshot["claimants"]
    assert woman["dismissal_date_words"] == man["dismissal_date_words"] == "1 марта 2022 г."
    assert (woman["genitive"], woman["dative"], woman["instrumental"]) == ("Шмидт Нур", "Шмидт Нур", "Шмидт Нур")
    assert woman["female"] is True
    assert (man["genitive"], man["dative"], man["instrumental"]) == ("Шмидта Франца", "Шмидту Францу",
                                                                     "Шмидтом Францем")
    assert man["female"] is False
