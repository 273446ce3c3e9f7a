"""A claim's period for going to court (issue 18, review defect 1), drafted through the generation page
as a lawyer would. Each claimant's period runs from their own dismissal order, counted by the
deadlines app on the working calendar: the claim says it is not missed only of those whose period
holds on the document's date; for the others the form asks the reasons (naming whose period ended on
which day), and the claim names them, gives the reasons, cites the rule to restore it and asks first
that it be restored. 342-ФЗ ст. 72 ч. 4 for the special-rank reinstatement claim (one month), КАС ст.
219 ч. 1 for the CAS claim (three months)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.cases import services as cases
from defensor.cases.models import Case, EventKind
from defensor.core.grammar import date_in_words
from defensor.deadlines.periods import period_end
from defensor.deadlines.services import calendar_day_set
from defensor.documents import services as documents
from defensor.documents.authority import power_of_attorney_add
from defensor.documents.catalogue import builtin_templates
from defensor.documents.context import filing_period
from defensor.documents.models import GeneratedDocument
from defensor.documents.render import document_text
from defensor.people.services import person_create, person_update
from tests.conftest import keyring_of

REASONS = ("Копия приказа об увольнении вручена Гусеву А. И. лишь по его письменному запросу.\n"
           "До этого он находился на стационарном лечении.")
SPECIAL_RANK = {
    "template": "builtin:reinstatement-claim",
    "input_respondent": "Управление Федеральной службы войск национальной гвардии Российской Федерации по Курской "
                        "области",
    "input_respondent_address": "305000, г. Курск, ул. Луначарского, д. 4",
    "input_order": "приказ начальника Управления Росгвардии по Курской области № 123 л/с",
    "input_authority": "ордер № 15 от 01.11.2026",
    "input_facts": "Служебная проверка не проводилась.",
}
CAS = {
    "template": "builtin:kas22-claim",
    "input_respondent": "Командир войсковой части 12345",
    "input_respondent_address": "305000, г. Курск, ул. Садовая, д. 5",
    "input_order": "приказ командира войсковой части 12345 № 123",
    "input_authority": "ордер № 15 от 01.11.2026",
    "input_facts": "Аттестация не проводилась.",
}


@pytest.fixture
def lawyer(anna: User) -> User:
    anna.document_name = "Смирнова Анна Викторовна"
    anna.document_credentials = "адвокат, рег. № 46/123"
    anna.document_contacts = "г. Курск, ул. Ленина, д. 1"
    anna.save()
    # Signing and filing a claim is a special power (КАС ст. 56, ГПК ст. 54).
    power_of_attorney_add(user=anna, keyring=keyring_of(anna), number="46 АА 1234567", issued_on=date(2026, 1, 15),
                          issuer="Гусев Андрей Ильич", valid_until=None, general=True, people=[],
                          powers=["sign_and_file"])
    return anna


@pytest.fixture
def no_worker() -> None:
    from defensor.keys.worker import worker_identity_stop

    worker_identity_stop()  # the document is written in the request


def _case(lawyer: User, kind: str, orders: list[tuple[str, date, bool]]) -> Case:
    """A case of ``kind`` with the claimants ``(full name, their dismissal order's date, approximate)``,
    each with the particulars a claim needs."""
    keyring = keyring_of(lawyer)
    court = "Курский гарнизонный военный суд" if kind == "military_admin" else "Ленинский районный суд г. Курска"
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Увольнение", kind=kind, court=court,
                           group=len(orders) > 1)
    for index, (name, ordered, approximate) in enumerate(orders):
        person = person_create(created_by=lawyer, keyring=keyring, full_name=name, surname=name.split()[0],
                               birth_date="1990-05-25", unit="в/ч 12345")
        person_update(person=person, updated_by=lawyer, keyring=keyring, birth_place="г. Курск",
                      residence_address=f"305000, г. Курск, ул. Садовая, д. {index + 1}", snils="112-233-445 95",
                      monthly_pay="50000.00")
        claimant = cases.claimant_add(case=case, person=person, added_by=lawyer, keyring=keyring)
        cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                             happened_on=ordered, claimant=claimant, approximate=approximate)
    return case


def _new(case: Case) -> str:
    return f"/staff/cases/{case.pk}/documents/new/"


def _claim(client: Client, case: Case) -> str:
    document = GeneratedDocument.objects.filter(case=case).latest("pk")
    response = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/docx/")
    assert response.status_code == 200
    return document_text(response.content).replace("\u00a0", " ").replace("\u2011", "-")  # no-break space, hyphen


def _ends(rule: str, ordered: date) -> date:
    """The last day of the period from ``ordered``, as the deadlines app counts it."""
    end = period_end(rule_id=rule, start=ordered)
    assert end is not None
    return end.ends_on


def _demands(text: str) -> list[str]:
    """The claim's demands, in order: the paragraphs after «ПРОШУ СУД:» up to the next heading."""
    after = re.split(r"\nПРО[СШ][ИУ]М? СУД:\n", text, maxsplit=1)[1]
    return after.split("\nПриложение:\n", 1)[0].split("\nВ соответствии со ст.", 1)[0].splitlines()


@pytest.mark.django_db
def test_a_group_claim_names_the_one_whose_month_ended_and_asks_first_to_restore_his_period(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    today = timezone.localdate()
    gusev_order = today - timedelta(days=60)  # a month and any holidays after it are long over
    case = _case(lawyer, "special_rank", [("Гусев Андрей Ильич", gusev_order, False),
                                          ("Соколова Мария Петровна", today - timedelta(days=10), False),
                                          ("Мамедов Эльдар Рашид оглы", today - timedelta(days=3), False)])
    ended = _ends("fz342-72", gusev_order)
    assert ended < today
    client = verified_client(lawyer)

    # The form refuses without the reasons, saying whose period ended on which day; nothing typed is lost.
    refused = client.post(_new(case), SPECIAL_RANK)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert ("Срок обращения в суд, отсчитанный от даты приказа об увольнении, истёк: Гусев А. И. — "
            f"{ended.strftime('%d.%m.%Y')}. Иск просит суд восстановить его — укажите причины пропуска срока "
            "(например, копия приказа вручена с опозданием).") in page
    assert "Соколова М. П. —" not in page
    assert "Мамедов Э. Р. —" not in page
    assert "Служебная проверка не проводилась." in page
    assert not GeneratedDocument.objects.exists()

    response = client.post(_new(case), {**SPECIAL_RANK, "input_period_reasons": REASONS})
    assert response.status_code == 302
    text = _claim(client, case)
    # The others' period holds: they are acquainted with their orders no earlier than the orders' dates.
    assert ("Срок обращения в суд по спору об увольнении (один месяц со дня ознакомления с приказом об "
            "увольнении, ч. 4 ст. 72 Федерального закона № 342-ФЗ, ч. 1 ст. 392 ТК РФ), истцами, кроме названных "
            "в следующем абзаце, не пропущен: с приказами об увольнении они ознакомлены не ранее дат их издания, "
            "указанных выше.") in text
    assert ("Срок обращения в суд, исчисляемый со дня издания приказа об увольнении, истёк для истца Гусева Андрея "
            f"Ильича (приказ от {date_in_words(gusev_order)}) — {date_in_words(ended)}\n") in text
    assert ("Срок пропущен по уважительным причинам:\nКопия приказа об увольнении вручена Гусеву А. И. лишь по его "
            "письменному запросу.\nДо этого он находился на стационарном лечении.\n") in text
    assert ("может быть восстановлен судом (ч. 5 ст. 392 ТК РФ, ст. 112 ГПК РФ); просьба о его восстановлении "
            "изложена в просительной части искового заявления.") in text
    demands = _demands(text)
    assert demands[0] == "Восстановить истцу Гусеву Андрею Ильичу пропущенный срок обращения в суд по спору об " \
                         "увольнении."
    assert demands[1].startswith("Признать незаконным")
    assert sum("пропущенный срок" in demand for demand in demands) == 1
    assert "Соколов" not in text.split("не пропущен", 1)[1].split("ПРОШУ", 1)[0]  # she is named in neither
    assert "г.." not in text

    # The service behind the form refuses the same request made without the reasons.
    template = next(t for t in builtin_templates() if t.key == "builtin:reinstatement-claim")
    inputs = {name.removeprefix("input_"): value for name, value in SPECIAL_RANK.items() if name != "template"}
    with pytest.raises(documents.MissingData) as refusal:
        documents.document_request(case=case, requested_by=lawyer, keyring=keyring_of(lawyer), template=template,
                                   inputs=inputs)
    assert [str(m.what) for m in refusal.value.missing] == [
        f"причины пропуска срока обращения в суд: Гусев А. И. (срок истёк {ended.strftime('%d.%m.%Y')})"]


@pytest.mark.django_db
def test_a_cas_claim_within_three_months_says_the_period_is_not_missed_and_asks_nothing_restored(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    ordered = timezone.localdate() - timedelta(days=40)
    case = _case(lawyer, "military_admin", [("Гусев Андрей Ильич", ordered, False)])
    client = verified_client(lawyer)
    response = client.post(_new(case), CAS)  # no reasons asked
    assert response.status_code == 302
    text = _claim(client, case)
    assert ("Срок обращения в суд, установленный ч. 1 ст. 219 КАС РФ (три месяца со дня, когда гражданину стало "
            "известно о нарушении его прав, свобод и законных интересов), административным истцом не пропущен: "
            f"оспариваемый приказ издан {date_in_words(ordered)}, о нём административному истцу стало известно "
            "не ранее этой даты.") in text
    assert "истёк" not in text
    assert "пропущенный срок" not in text
    assert _demands(text)[0].startswith("Признать незаконным")


@pytest.mark.django_db
def test_a_cas_claim_out_of_time_cites_article_219_part_7_and_asks_first_to_restore_it(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    """An order given roughly (its earliest day) four months ago: the claim cannot say the period holds."""
    ordered = timezone.localdate() - timedelta(days=130)
    ended = _ends("kas-219", ordered)
    case = _case(lawyer, "military_admin", [("Соколова Мария Петровна", ordered, True)])
    client = verified_client(lawyer)
    refused = client.post(_new(case), CAS)
    assert refused.status_code == 400
    assert (f"Соколова М. П. — {ended.strftime('%d.%m.%Y')} (дата приказа приблизительная: срок отсчитан от самого "
            "раннего возможного дня)") in refused.content.decode()
    response = client.post(_new(case), {**CAS, "input_period_reasons": "Приказ не доводился до сведения."})
    assert response.status_code == 302
    text = _claim(client, case)
    assert ("Срок обращения в суд, установленный ч. 1 ст. 219 КАС РФ (три месяца со дня, когда гражданину стало "
            "известно о нарушении его прав, свобод и законных интересов), исчисляемый со дня издания оспариваемого "
            f"приказа ({date_in_words(ordered)}), истёк {date_in_words(ended)}\n") in text
    assert "не пропущен:" not in text
    assert "Срок пропущен по уважительным причинам:\nПриказ не доводился до сведения.\n" in text
    assert "может быть восстановлен судом (ч. 7 ст. 219, ст. 95 КАС РФ)" in text
    assert _demands(text)[0] == ("Восстановить административному истцу Соколовой Марии Петровне пропущенный срок "
                                 "обращения в суд с административным исковым заявлением.")


@pytest.mark.django_db
def test_a_period_ending_on_a_moved_day_off_runs_to_the_next_working_day(olga: User) -> None:
    """9 January 2026 is a day off moved by decree (from 3 January): a month from an order of
    9 December 2025 ends on Monday 12 January, so a claim dated that day is within it and one dated
    the 13th is not; 4 November 2026 (Unity Day) moves a month from 4 October to the 5th."""
    gusev = {"name": "Гусев Андрей Ильич", "genitive": "Гусева Андрея Ильича", "dative": "Гусеву Андрею Ильичу",
             "initials": "Гусев А. И."}
    order = [(gusev, (date(2025, 12, 9), False))]
    assert not filing_period("fz342-72", order, date(2026, 1, 12))["missed"]
    late = filing_period("fz342-72", order, date(2026, 1, 13))
    assert (late["missed"], late["all"]) == (True, True)
    assert (late["claimants"][0]["genitive"], late["claimants"][0]["ends"], late["claimants"][0]["ends_short"]) == (
        "Гусева Андрея Ильича", "12 января 2026 г.", "12.01.2026")
    assert not filing_period("fz342-72", [(gusev, (date(2026, 10, 4), False))], date(2026, 11, 5))["missed"]
    # A day off an administrator entered moves it on again.
    calendar_day_set(day=date(2026, 1, 12), working=False, reason="Указ губернатора", set_by=olga)
    assert not filing_period("fz342-72", order, date(2026, 1, 13))["missed"]
    # A claim without the rule, or a claimant without an order's date, asks nothing.
    assert filing_period("", order, date(2027, 1, 1)) == {"rule": "", "missed": False, "all": False, "claimants": []}
    assert not filing_period("fz342-72", [(gusev, (None, False))], date(2027, 1, 1))["missed"]
