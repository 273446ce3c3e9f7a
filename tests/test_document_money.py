"""Money in a claim: each claimant's back pay for the enforced absence and its calculation, the price
of the claim, the state fee by the kind of claim; the monthly pay typed once on the person's record
and sealed there; a group reinstatement claim of 3 and of 115 with a sum per claimant."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases import services as cases
from defensor.cases.models import Case, CaseEvent, Claimant, EventKind
from defensor.documents.models import GeneratedDocument
from defensor.documents.money import KOPECK, back_pay, back_pay_snapshot, fee_rules, state_fee
from defensor.documents.money import figures as money_figures
from defensor.documents.render import document_text
from defensor.keys.worker import worker_identity_stop
from defensor.people.models import Person, PersonRevision
from defensor.people.services import person_create, person_update
from tests.canary import stored_bytes
from tests.conftest import keyring_of

PAY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2)
DAYS = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: date, months: int) -> date:
    """The last day of the month ``months`` after ``day``'s month."""
    month = day.month - 1 + months
    return _month_end(date(day.year + month // 12, month % 12 + 1, 1))


# --- the calculation ------------------------------------------------------------------------------


@given(pay=PAY, dismissed=DAYS, length=st.integers(min_value=0, max_value=1200))
def test_the_total_is_the_sum_of_the_lines_each_in_kopecks(pay: Decimal, dismissed: date, length: int) -> None:
    calculation = back_pay(monthly_pay=pay, dismissed_on=dismissed, until=dismissed + timedelta(days=length))
    assert calculation.total == sum((line.amount for line in calculation.lines), Decimal(0))
    assert all(line.amount == line.amount.quantize(KOPECK) for line in calculation.lines)
    # The lines cover the period day by day, without a gap or an overlap.
    covered = sum((line.end - line.start).days + 1 for line in calculation.lines)
    assert covered == length
    for before, after in zip(calculation.lines, calculation.lines[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)
    assert len(calculation.lines) <= 3  # a part month, the whole months, a part month
    shown = back_pay_snapshot(calculation)
    assert len(shown["lines"]) == len(calculation.lines)


@given(pay=PAY, month_before=DAYS, months=st.integers(min_value=1, max_value=60))
def test_a_period_of_exactly_n_calendar_months_is_n_times_the_pay(
    pay: Decimal, month_before: date, months: int
) -> None:
    dismissed = _month_end(month_before)  # dismissed on the last day: the absence starts on the 1st
    calculation = back_pay(monthly_pay=pay, dismissed_on=dismissed, until=_add_months(dismissed, months))
    assert calculation.total == pay * months
    assert [(line.months, line.days) for line in calculation.lines] == [(months, 0)]


@given(pay=PAY, dismissed=DAYS)
def test_a_part_month_is_the_pay_over_its_calendar_days_times_the_days(pay: Decimal, dismissed: date) -> None:
    until = _month_end(dismissed)
    calculation = back_pay(monthly_pay=pay, dismissed_on=dismissed, until=until)
    days, month_days = until.day - dismissed.day, until.day
    if days == 0:
        assert calculation.lines == ()
        return
    (line,) = calculation.lines
    assert (line.days, line.month_days) == (days, month_days)
    assert abs(line.amount - pay * days / month_days) <= Decimal("0.005")


def test_a_leap_february_has_29_days() -> None:
    calculation = back_pay(monthly_pay=Decimal("29000.00"), dismissed_on=date(2024, 2, 14), until=date(2024, 2, 29))
    (line,) = calculation.lines
    assert (line.days, line.month_days, line.amount) == (15, 29, Decimal("15000.00"))
    shown = back_pay_snapshot(calculation)
    assert shown["lines"][0]["period"] == "с\u00a015.02.2024 по\u00a029.02.2024"  # never broken after «с»
    assert shown["lines"][0]["formula"] == "29\u00a0000,00 руб. : 29 дн. × 15 дн."
    ordinary = back_pay(monthly_pay=Decimal("28000.00"), dismissed_on=date(2025, 2, 13), until=date(2025, 2, 28))
    assert ordinary.lines[0].month_days == 28
    assert ordinary.total == Decimal("15000.00")


def test_a_dismissal_on_the_31st_starts_the_absence_on_the_first_of_the_next_month() -> None:
    calculation = back_pay(monthly_pay=Decimal("50000.00"), dismissed_on=date(2026, 1, 31), until=date(2026, 4, 10))
    shown = back_pay_snapshot(calculation)
    assert _plain(shown["period"]) == "с 01.02.2026 по 10.04.2026"
    assert [(_plain(line["period"]), line["sum"]) for line in shown["lines"]] == [
        ("с 01.02.2026 по 31.03.2026", "100\u00a0000,00"),  # February and March whole
        ("с 01.04.2026 по 10.04.2026", "16\u00a0666,67"),  # 50 000 : 30 × 10, rounded half up
    ]
    assert (shown["months"], shown["days"]) == (2, 10)
    assert shown["figures"] == "116\u00a0666,67"
    assert shown["words"] == "сто шестнадцать тысяч шестьсот шестьдесят шесть рублей 67 копеек"


def test_a_filing_on_the_day_of_dismissal_asks_nothing_yet() -> None:
    calculation = back_pay(monthly_pay=Decimal("50000.00"), dismissed_on=date(2026, 3, 1), until=date(2026, 3, 1))
    assert calculation.lines == ()
    assert calculation.total == 0


# --- the state fee --------------------------------------------------------------------------------


def test_the_state_fee_is_data_by_claim_kind_and_doubtful_rules_are_marked() -> None:
    rules = fee_rules()
    assert rules["reinstatement-claim"].exempt
    assert "333.36" in rules["reinstatement-claim"].basis
    assert rules["kas22-claim"].amount == Decimal(3000)
    assert all(rule.verify for rule in rules.values())  # each for counsel to confirm
    assert state_fee("builtin:kas22-claim", claimants=3)["figures"] == "3\u00a0000,00"
    assert state_fee("builtin:reinstatement-claim", claimants=3)["exempt"] is True
    assert state_fee("builtin:lawyer-request", claimants=1) == {
        "figures": "", "words": "", "basis": "", "exempt": False, "paid": False}
    assert state_fee("upload:kas22-claim", claimants=1)["paid"] is False  # an upload's own wording decides


# --- through the pages: the record, the documents page, the drafted claim ---------------------------

RESPONDENT = "Управление Федеральной службы войск национальной гвардии Российской Федерации по Курской области"
TYPED = {
    "template": "builtin:reinstatement-claim", "input_respondent": RESPONDENT,
    "input_respondent_address": "305000, г. Курск, ул. Луначарского, д. 4",
    "input_order": "приказ начальника Управления Росгвардии по Курской области от 01.10.2026 № 123 л/с",
    "input_authority": "ордер № 15 от 01.11.2026",
    "input_facts": "Служебная проверка не проводилась.",
    "input_period_reasons": "Копия приказа вручена по истечении срока.",  # the orders of 2024 are out of time
    "signed_by_claimants": "on",  # no power of attorney recorded: the claimants sign it (issue 18)
}
DISMISSED = date(2024, 9, 30)
# Surnames and first names (initials all different) for 115 claimants: 23 × 5.
SURNAMES = ["Орлов", "Соколов", "Волков", "Зайцев", "Лебедев", "Козлов", "Новиков", "Морозов", "Павлов", "Голубев",
            "Виноградов", "Богданов", "Фёдоров", "Михайлов", "Беляев", "Титов", "Крылов", "Макаров", "Никитин",
            "Захаров", "Смирнов", "Петров", "Васильев"]
FIRST_NAMES = ["Иван", "Андрей", "Олег", "Сергей", "Павел"]


@pytest.fixture
def lawyer(anna: User) -> User:
    anna.document_name = "Смирнова Анна Викторовна"
    anna.document_credentials = "адвокат Адвокатской палаты Курской области, рег. № 46/123"
    anna.document_contacts = "305000, г. Курск, ул. Ленина, д. 1"
    anna.save()
    return anna


@pytest.fixture
def no_worker() -> None:
    worker_identity_stop()  # the document is written in the request


def _case(lawyer: User, people: list[tuple[str, str]]) -> tuple[Case, list[Person]]:
    """A special-rank service dispute with the claimants ``(full name, monthly pay or "")``, each with
    the particulars a claim needs and their dismissal order recorded."""
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Увольнение", group=len(people) > 1,
                           kind="special_rank", court="Ленинский районный суд г. Курска")
    records = []
    for index, (name, pay) in enumerate(people):
        person = person_create(created_by=lawyer, keyring=keyring, full_name=name, surname=name.split()[0],
                               birth_date="1990-05-25")
        person_update(person=person, updated_by=lawyer, keyring=keyring, birth_place="г. Курск",
                      residence_address=f"305000, г. Курск, ул. Садовая, д. {index + 1}", snils="112-233-445 95",
                      monthly_pay=pay)
        claimant = cases.claimant_add(case=case, person=person, added_by=lawyer, keyring=keyring)
        cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                             happened_on=DISMISSED + timedelta(days=index % 3), claimant=claimant)
        records.append(person)
    return case, records


def _form(client: Client, person: Person) -> dict[str, str]:
    """The person's edit form as the page fills it (every field, the hidden digests included)."""
    form = client.get(f"/staff/people/{person.pk}/edit/").context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {k: ("on" if v is True else "" if v in (None, False) else str(v)) for k, v in data.items()
            if v not in (False, None) or k != "postal_same"}


def _draft(client: Client, case: Case) -> str:
    response = client.post(f"/staff/cases/{case.pk}/documents/new/", TYPED)
    assert response.status_code == 302, response.content.decode()[-2000:]
    document = GeneratedDocument.objects.filter(case=case).latest("pk")
    docx = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/docx/")
    return document_text(docx.content).replace("\u00a0", " ")


def _expected(pay: str, index: int) -> dict[str, Any]:
    """What documents.money gives for the claimant dismissed ``index % 3`` days after DISMISSED, to today."""
    return back_pay_snapshot(back_pay(monthly_pay=Decimal(pay), dismissed_on=DISMISSED + timedelta(days=index % 3),
                                      until=timezone.localdate()))


def _plain(figures: str) -> str:
    return figures.replace("\u00a0", " ")


@pytest.mark.django_db
def test_a_lawyer_types_the_monthly_pay_once_on_the_record_and_it_stays_sealed(
    lawyer: User, verified_client: Callable[[User], Client],
) -> None:
    case, (person,) = _case(lawyer, [("Гусев Андрей Ильич", "")])
    client = verified_client(lawyer)
    data = {**_form(client, person), "monthly_pay": "91 827,5 руб.",
            "service_post": "старшего инспектора отдела лицензионно-разрешительной работы"}
    saved = client.post(f"/staff/people/{person.pk}/edit/", data, follow=True)
    assert saved.redirect_chain[-1][0] == f"/staff/people/{person.pk}/"
    page = saved.content.decode().replace("\u00a0", " ")
    assert "91 827,50 руб." in page
    assert "старшего инспектора отдела лицензионно-разрешительной работы" in page
    assert Person.objects.get(pk=person.pk).decrypt(keyring_of(lawyer)).monthly_pay == "91827.50"
    event = AuditEvent.objects.filter(action="person.updated").latest("pk")
    assert {"monthly_pay", "service_post"} <= set(event.details["fields"])

    text = _draft(client, case)
    assert "Денежное довольствие Гусева Андрея Ильича на день увольнения составляло 91 827,50 руб. в месяц." in text
    assert "в ранее замещаемой должности старшего инспектора отдела лицензионно-разрешительной работы" in text
    expected = _expected("91827.50", 0)
    assert f"Цена иска: {_plain(expected['figures'])} руб." in text
    # Canary: neither the pay nor the sums calculated from it are in any column in the clear.
    stored = stored_bytes(Person, PersonRevision, AuditEvent, GeneratedDocument, Claimant, CaseEvent)
    for needle in ("91827", "91 827", "91\u00a0827", expected["figures"], expected["figures"].replace("\u00a0", "")):
        assert needle.encode() not in stored, needle


@pytest.mark.django_db
def test_a_sum_that_is_not_one_is_explained_in_russian_and_nothing_typed_is_lost(
    lawyer: User, verified_client: Callable[[User], Client],
) -> None:
    _opened, (person,) = _case(lawyer, [("Гусев Андрей Ильич", "")])
    client = verified_client(lawyer)
    for odd in ("пятьдесят тысяч", "12,345", "-100", "0", "NaN", "1e30"):
        response = client.post(f"/staff/people/{person.pk}/edit/",
                               {**_form(client, person), "monthly_pay": odd, "birth_place": "г. Орёл"})
        assert response.status_code == 400, odd
        text = response.content.decode()
        assert "Укажите денежное довольствие суммой в рублях, не более двух знаков копеек, например 54 321,00." in text
        assert f'value="{odd}"' in text
        assert 'value="г. Орёл"' in text
    assert not Person.objects.get(pk=person.pk).decrypt(keyring_of(lawyer)).monthly_pay


@pytest.mark.django_db
def test_a_claimant_without_monthly_pay_is_listed_with_a_link_to_the_record_and_nothing_is_drafted(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, (_gusev, sokolova) = _case(lawyer, [("Гусев Андрей Ильич", "50000.00"), ("Соколова Мария Петровна", "")])
    client = verified_client(lawyer)
    page = client.get(f"/staff/cases/{case.pk}/documents/new/", {"template": "builtin:reinstatement-claim"})
    missing = page.content.decode().split('data-testid="missing"', 1)[1].split("</div>", 1)[0]
    assert "денежное довольствие в месяц на день увольнения: Соколова М. П." in missing
    assert f'href="/staff/people/{sokolova.pk}/edit/?next=' in missing  # and back to this form
    assert "Гусев" not in missing
    refused = client.post(f"/staff/cases/{case.pk}/documents/new/", TYPED)
    assert refused.status_code == 400
    assert "денежное довольствие в месяц на день увольнения: Соколова М. П." in refused.content.decode()
    assert not GeneratedDocument.objects.exists()


@pytest.mark.django_db
def test_a_group_claim_of_three_asks_each_claimants_own_sum_and_the_total_as_its_price(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    people = [("Гусев Андрей Ильич", "54321.00"), ("Соколова Мария Петровна", "48750.50"),
              ("Мамедов Эльдар Рашид оглы", "61200.00")]
    case, _records = _case(lawyer, people)
    text = _draft(verified_client(lawyer), case)
    sums = [_expected(pay, index) for index, (_name, pay) in enumerate(people)]
    total = sum((Decimal(s["figures"].replace("\u00a0", "").replace(",", ".")) for s in sums), Decimal(0))
    assert f"Цена иска: {_plain(money_figures(total))} руб." in text
    for (genitive, initials), shown in zip((("Гусева Андрея Ильича", "Гусев А. И."),
                                            ("Соколовой Марии Петровны", "Соколова М. П."),
                                            ("Мамедова Эльдара Рашид оглы", "Мамедов Э. Р.")), sums, strict=True):
        # Its part of the price: a row of the calculation (the header gives only the total).
        row = text.split("\nРАСЧЁТ\n", 1)[1].split(f"\n{initials.split()[0]} ", 1)[1]
        assert _plain(shown["figures"]) in row[:600]
        assert (f"Взыскать с ответчика в пользу {genitive} денежное довольствие за время вынужденного прогула "
                f"{_plain(shown['period'])} в размере {_plain(shown['figures'])} руб. ({shown['words']}) согласно "
                "прилагаемому расчёту") in text
    assert text.count("Взыскать с ответчика в пользу") == 3
    assert "истцы освобождены от её уплаты (подп. 1 п. 1 ст. 333.36 НК РФ" in text
    calculation = text.split("\nРАСЧЁТ\n", 1)[1]
    assert f"Итого к взысканию в пользу истцов: {_plain(money_figures(total))} руб." in calculation
    for shown in sums:
        for line in shown["lines"]:
            assert f"{_plain(line['period'])}: {_plain(line['formula'])} = {_plain(line['sum'])} руб." in calculation
    assert calculation.count("Истец\t_______________ /") == 3  # signed by the claimants themselves


@pytest.mark.django_db
def test_a_group_claim_of_115_names_each_claimants_sum_and_calculation(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    people = [(f"{surname} {first} Петрович", f"{40000 + 137 * index}.{index % 100:02d}")
              for index, (surname, first) in enumerate((s, f) for s in SURNAMES for f in FIRST_NAMES)]
    assert len(people) == 115
    case, _records = _case(lawyer, people)
    text = _draft(verified_client(lawyer), case)
    sums = [_expected(pay, index) for index, (_name, pay) in enumerate(people)]
    total = sum((Decimal(s["figures"].replace("\u00a0", "").replace(",", ".")) for s in sums), Decimal(0))
    assert f"Цена иска: {_plain(money_figures(total))} руб." in text
    for (name, _pay), shown in zip(people, sums, strict=True):
        row = text.split("\nРАСЧЁТ\n", 1)[1].split(f"\n{name}\n", 1)[1]  # the claimant's row of the calculation
        assert _plain(shown["figures"]) in row[:600]
        assert f"{_plain(shown['figures'])} руб. ({shown['words']}) согласно прилагаемому расчёту" in text
    assert text.count("Взыскать с ответчика в пользу") == 115
    calculation = text.split("\nРАСЧЁТ\n", 1)[1]
    assert "\nИтого\n" in calculation
    assert f"Итого к взысканию в пользу истцов: {_plain(money_figures(total))} руб." in calculation
