"""Invented data in the shape of a real snapshot: an uploaded template is filled with it before it
is accepted, and the page that lists templates shows what each name gives."""

from __future__ import annotations

from datetime import date
from typing import Any

from defensor.core.grammar import court_date, date_in_words, name_forms
from defensor.documents import money

_CLAIMANTS = (
    ("Гусев Андрей Ильич", "1994-03-12", "в/ч 12345", date(2024, 9, 30)),
    ("Титова Мария Петровна", "1990-11-02", "в/ч 12345", date(2024, 10, 1)),
    ("Черных Олег Сергеевич", "1988-07-21", "в/ч 54321", date(2024, 10, 1)),
)
_MONTHLY_PAY = ("54321.00", "48750.50", "61200.00")  # invented, as the person form stores it
_TODAY = date(2026, 11, 30)


def _record(name: str, index: int) -> dict[str, Any]:
    """What a person record adds (invented; the СНИЛС and ИНН have valid check digits)."""
    surname, given_name, patronymic = name.split()
    return {
        "person_id": index + 1, "surname": surname, "given_name": given_name, "patronymic": patronymic,
        "gender": "f" if patronymic.endswith("вна") else "m", "birth_place": "г. Курск",
        "residence_address": f"305000, г. Курск, ул. Садовая, д. {index + 1}",
        "postal_address": f"305000, г. Курск, ул. Садовая, д. {index + 1}",
        "passport": f"380{index} 12345{index}", "snils": ("112-233-445 95", "123-456-789 64", "987-654-321 83")[index],
        "inn": ("500100732259", "123456789047", "771234567859")[index],
        "identifier": "СНИЛС " + ("112-233-445 95", "123-456-789 64", "987-654-321 83")[index],
        "service_post": ("старшего инспектора отдела", "инспектора отделения", "старшего водителя")[index],
    }


def sample_snapshot() -> dict[str, Any]:
    claimants = [
        {**name_forms(name, {}), "birth_date": date.fromisoformat(born).strftime("%d.%m.%Y"), "unit": unit,
         "dismissal_date": dismissed.strftime("%d.%m.%Y"), "dismissal_date_words": date_in_words(dismissed),
         "status": "active", **_record(name, index),
         **money.claimant_money(monthly_pay=_MONTHLY_PAY[index], dismissed_on=dismissed, until=_TODAY)}
        for index, (name, born, unit, dismissed) in enumerate(_CLAIMANTS)
    ]
    return {
        "today": court_date(_TODAY),
        "case": {"number": "2026-0001", "court": "Курский гарнизонный военный суд", "court_number": "2а-123/2026",
                 "kind": "КАС РФ, гл. 22", "decision_date": date_in_words(date(2026, 10, 5)),
                 "decision_date_short": "05.10.2026"},
        "claimants": claimants, "claimant": claimants[0], "group": True, "claimants_count": len(claimants),
        "representative": {**name_forms("Смирнова Анна Викторовна", {}),
                           "credentials": "адвокат Адвокатской палаты Курской области, рег. № 46/123",
                           "contacts": "305000, г. Курск, ул. Ленина, д. 1; +7 900 000-00-00"},
        "organisation": {"name": "Правозащитная группа"},
        "claim_price": money.claim_price(claimants),
        "state_fee": money.state_fee("builtin:kas22-claim", claimants=len(claimants)),
        "inputs": {}, "signed_by_claimants": False, "power_of_attorney": "",
        # An appeal within its period (documents.context.appeal_period).
        "appeal_period": {"known": True, "missed": False, "motion": False, "ends": date_in_words(date(2026, 11, 9)),
                          "ends_short": "09.11.2026", "unpublished": False},
        # A claim whose period for going to court holds for every claimant (documents.context.filing_period).
        "filing_period": {"rule": "", "missed": False, "all": False, "claimants": []},
    }
