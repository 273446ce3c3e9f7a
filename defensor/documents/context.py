"""What a template is filled with: the case, its claimants (names declined, the lawyer's own forms
first), the representative, the typed inputs. Built in the request from decrypted data (the
acting user's key ring); the result is the document's snapshot, kept sealed under the case's key.
Every value is a string, a number, a flag or a list of those: JSON in, JSON out."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from defensor.accounts.models import User
from defensor.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseKind, Claimant, ClaimantStatus, EventKind
from defensor.cases.procedures import procedure_for
from defensor.cases.signals import PeriodEnd, period_end_asked
from defensor.core.grammar import (
    Gender,
    amount_in_words,
    court_date,
    date_in_words,
    detect_gender,
    name_forms,
    recorded_gender,
)
from defensor.documents import money
from defensor.documents.catalogue import NEEDABLE, TemplateInfo
from defensor.keys.keyring import KeyRing
from defensor.people.services import name_form_overrides

Snapshot = dict[str, Any]


@dataclass(frozen=True)
class Missing:
    """Something the template needs that the case does not have yet, and where to fill it in."""

    what: str
    where: str
    url: str = ""  # the page where it is filled in, when there is one


def _short(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def _birth_date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return _short(date.fromisoformat(value))
    except ValueError:
        return value  # as written down


def _gender_from_name(full_name: str | None) -> str:
    """"m" / "f" as the name shows it (for a record that does not state it), else ""."""
    try:
        found = detect_gender(full_name or "")
    except ValueError:  # no name to read it from
        return ""
    return {Gender.MALE: "m", Gender.FEMALE: "f"}.get(found, "")


def claimant_identifier(*, snils: str | None, inn: str | None, passport: str | None) -> str:
    """The one identifier a claim gives for a claimant (КАС ст. 125 ч. 2 п. 2, ГПК ст. 131 ч. 2 п. 2 as
    amended in 2023: «один из идентификаторов»), as the court reads it: «СНИЛС 112-233-445 95», else
    «ИНН …», else «паспорт 3801 123456»; "" when the record has none. Verify with counsel: the order
    of preference (any one suffices by the codes)."""
    if snils:
        return f"СНИЛС {snils}"
    if inn:
        return f"ИНН {inn}"
    return f"паспорт {passport}" if passport else ""


def parse_amount(text: str) -> Decimal | None:
    """A sum in roubles as typed ("123 456,78"), or None if empty. ValueError if it is not one
    (what a sum may be is ``amount_in_words``'s to say: it is printed in words)."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".").removesuffix("руб.").strip()
    if not cleaned:
        return None
    try:
        amount = Decimal(cleaned)
        amount_in_words(amount)
    except ArithmeticError:  # InvalidOperation and the like: not a number
        raise ValueError("not a sum") from None
    return amount


def amount_typed(amount: Decimal) -> dict[str, str]:
    """A typed sum as templates print it: in figures («123 456,78») and in words."""
    words = amount_in_words(amount)  # refuses what is not a sum of money
    figures = f"{amount.copy_abs():,.2f}".replace(",", "\u00a0").replace(".", ",")  # abs: "-0" is 0,00
    return {"figures": figures, "words": words}


def parse_date(text: str) -> date | None:
    """A date as typed: YYYY-MM-DD (what a date field sends) or ДД.ММ.ГГГГ; None if empty.
    ValueError if it is not a date."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
        return date.fromisoformat(cleaned)
    found = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", cleaned)
    if found is None:
        raise ValueError("not a date")
    day, month, year = (int(part) for part in found.groups())
    return date(year, month, day)  # ValueError for 31.02.2026


def date_typed(day: date) -> dict[str, str]:
    """A typed date as templates print it: «20.10.2026», «20 октября 2026 г.», and ISO (for filters)."""
    return {"short": _short(day), "words": date_in_words(day), "iso": day.isoformat()}


def appeal_period(rule_id: str, final_form: date | None, today: date) -> dict[str, Any]:
    """Whether an appeal's period (``rule_id``, from the decision in final form) holds on ``today``:
    ``known`` when the date is given and the period's end could be counted (the deadlines app
    answers ``cases.signals.period_end_asked``), ``missed`` when it ended before today, ``motion``
    when a motion to restore it goes with the appeal (missed, or not known: the appeal cannot say
    it holds). ``ends``: its last day in words; ``unpublished``: a year's working calendar is not
    published, so the day is to be checked by hand."""
    end: PeriodEnd | None = None
    if rule_id and final_form is not None:
        answers: list[tuple[object, object]] = list(period_end_asked.send(sender=Case, rule_id=rule_id,
                                                                          start=final_form))
        end = next((answer for _receiver, answer in answers if isinstance(answer, PeriodEnd)), None)
    if end is None:
        return {"known": False, "missed": False, "motion": bool(rule_id), "ends": "", "ends_short": "",
                "unpublished": False}
    missed = today > end.ends_on
    return {"known": True, "missed": missed, "motion": missed, "ends": date_in_words(end.ends_on),
            "ends_short": _short(end.ends_on), "unpublished": end.unpublished}


def _period_end(rule_id: str, start: date) -> PeriodEnd | None:
    """When ``rule_id``'s period running from ``start`` ends: the deadlines app's answer to
    ``cases.signals.period_end_asked`` (None when no receiver knows the rule)."""
    answers: list[tuple[object, object]] = list(period_end_asked.send(sender=Case, rule_id=rule_id, start=start))
    return next((answer for _receiver, answer in answers if isinstance(answer, PeriodEnd)), None)


# The name forms a claim names a claimant with when their period has ended.
_NAMED_AS = ("name", "genitive", "dative", "accusative", "initials", "initials_genitive", "initials_dative",
             "female")


def filing_period(
    rule_id: str, claimants: Sequence[tuple[Mapping[str, Any], tuple[date | None, bool]]], today: date,
) -> dict[str, Any]:
    """For whom a claim's period for going to court (``rule_id``: kas-219, fz342-72) has ended on
    ``today``, each counted from their own dismissal order (``claimants``: a claimant's values with
    the order's date and whether it was given roughly) by the deadlines app. The period runs from the
    day they learned of the order (КАС ст. 219 ч. 1) or were acquainted with it (342-ФЗ ст. 72 ч. 4),
    never before the order: one that holds counted from the order holds. One that has ended counted
    from it may still hold from the later day; the claim cannot say so, and asks to restore it.
    A rough date is the earliest day the order can be (intake.carry, the case page's «approximate»),
    so a period that holds from it holds from the real day too, and one that ended from it needs
    the reasons as any other. A claimant without an order's date is the missing list's.

    ``claimants`` of the result: those whose period ended (their name forms, the order's date, the
    day it ended, ``approximate``), whom the claim names and whose period it asks first to restore;
    ``missed``: any; ``all``: every claimant's."""
    ended: list[dict[str, Any]] = []
    for values, (start, approximate) in claimants:
        end = _period_end(rule_id, start) if rule_id and start is not None else None
        if end is None or today <= end.ends_on:
            continue
        ended.append({**{name: values.get(name, "") for name in _NAMED_AS},
                      "dismissal_date_words": date_in_words(start) if start else "",
                      "ends": date_in_words(end.ends_on), "ends_short": _short(end.ends_on),
                      "approximate": approximate})
    return {"rule": rule_id, "missed": bool(ended), "all": bool(ended) and len(ended) == len(claimants),
            "claimants": ended}


def document_snapshot(
    *, case: Case, keyring: KeyRing, representative: User, include_withdrawn: bool,
    inputs: dict[str, str], template: TemplateInfo, today: date | None = None,
) -> tuple[Snapshot, list[int]]:
    """The data of one document, and the person records it read (to audit)."""
    values = case.decrypt(keyring)
    # As they joined; never one removed as added by mistake, nor a membership folded into another by a merge.
    claimants = list(Claimant.objects.filter(case=case, merged_into__isnull=True)
                     .exclude(status=ClaimantStatus.REMOVED).select_related("person").order_by("id"))
    if not include_withdrawn:
        claimants = [c for c in claimants if c.status in OPEN_STATUSES]
    keyring.prefetch(c.person.data_key_id for c in claimants)
    events = CaseEvent.objects.filter(case=case, kind__in=[EventKind.DISMISSAL_ORDER, EventKind.DECISION])
    dismissal_of: dict[int | None, date] = {}
    rough: dict[int | None, bool] = {}  # the order's date was given roughly (its earliest day)
    decision_on: date | None = None
    for event in events.order_by("happened_on", "id"):
        if event.kind == EventKind.DISMISSAL_ORDER:
            dismissal_of[event.claimant_id] = event.happened_on
            rough[event.claimant_id] = event.approximate
        elif event.claimant_id is None:
            decision_on = event.happened_on
    people = []
    starts: list[tuple[date | None, bool]] = []  # each claimant's dismissal order: its date, whether rough
    for claimant in claimants:
        person = claimant.person.decrypt(keyring)
        overrides = name_form_overrides(person.name_forms)
        dismissed = dismissal_of.get(claimant.pk) or dismissal_of.get(None)
        approximate = rough.get(claimant.pk if claimant.pk in dismissal_of else None, False)
        starts.append((dismissed, approximate))
        forms = name_forms(person.full_name or "", overrides, gender=recorded_gender(person.gender))
        people.append({
            **forms,
            "person_id": claimant.person_id,
            "surname": person.surname or "", "given_name": person.given_name or "",
            "patronymic": person.patronymic or "",
            "gender": person.gender or _gender_from_name(person.full_name),
            "birth_date": _birth_date(person.birth_date), "unit": person.unit or "",
            "birth_place": person.birth_place or "", "residence_address": person.residence_address or "",
            "postal_address": person.postal_address or "", "passport": person.passport or "",
            "snils": person.snils or "", "inn": person.inn or "",
            "identifier": claimant_identifier(snils=person.snils, inn=person.inn, passport=person.passport),
            "dismissal_date": _short(dismissed), "dismissal_date_words": date_in_words(dismissed) if dismissed else "",
            "dismissal_approximate": approximate,
            "status": claimant.status,
            # The post held, and the pay for the enforced absence up to the document's date (documents.money).
            "service_post": person.service_post or "",
            **money.claimant_money(monthly_pay=person.monthly_pay, dismissed_on=dismissed,
                                   until=today or timezone.localdate()),
        })
    typed: dict[str, Any] = {}
    for field in template.inputs:
        raw = inputs.get(field.name, "").strip()
        if field.kind == "amount":
            amount = parse_amount(raw) if raw else None
            typed[field.name] = amount_typed(amount) if amount is not None else ""
        elif field.kind == "date":
            try:
                day = parse_date(raw)
            except ValueError:  # the form refuses it; a date not understood is no date
                day = None
            typed[field.name] = date_typed(day) if day is not None else ""
        else:
            typed[field.name] = raw
    today = today or timezone.localdate()
    # Dates in running text are written 1 марта 2022 г. (claimant.dismissal_date_words,
    # case.decision_date); only ``today``, the date line under the signature and in a request's
    # heading, keeps the form's «01» марта 2022 г.
    snapshot: Snapshot = {
        "today": court_date(today),
        "case": {
            "number": case.number, "court": values.court or "", "court_number": values.court_number or "",
            "kind": str(procedure_for(case.kind).law) if case.kind else "",
            "decision_date": date_in_words(decision_on) if decision_on else "",
            "decision_date_short": _short(decision_on),
        },
        "claimants": people, "claimant": people[0] if people else {}, "group": len(people) > 1,
        "claimants_count": len(people),
        "representative": {
            **(name_forms(representative.document_name, {}) if representative.document_name else {"name": ""}),
            "credentials": representative.document_credentials, "contacts": representative.document_contacts,
        },
        "organisation": {"name": case.organisation.name},
        "claim_price": money.claim_price(people),
        "state_fee": money.state_fee(template.key, claimants=len(people)),
        "inputs": typed,
        # Whether the appeal's period holds on the document's date (only a template with a period).
        "appeal_period": appeal_period(template.period_rule, _typed_date(typed.get("final_form_date")), today),
        # For whom a claim's period for going to court has ended (only a claim with one: filing_rule).
        "filing_period": filing_period(template.filing_rule, list(zip(people, starts, strict=True)), today),
    }
    return snapshot, [c.person_id for c in claimants]


def _typed_date(value: object) -> date | None:
    return date.fromisoformat(str(value["iso"])) if isinstance(value, dict) and value.get("iso") else None


def missing_data(snapshot: Snapshot, template: TemplateInfo) -> list[Missing]:
    """What the template needs that is empty, each with where to fill it in (never in the output)."""
    found: list[Missing] = []
    labels = _labels(template)
    for need in template.needs:
        if need not in NEEDABLE:
            continue
        owner, name = need.split(".", 1)
        if owner == "claimant":
            if not snapshot["claimants"]:
                found.append(Missing(_("claimants"), _("add a claimant to the case")))
                continue
            for person in snapshot["claimants"]:
                if not person.get(name):
                    what, where = labels[need]
                    url = ""
                    if person.get("person_id") and name not in _FILLED_ON_THE_CASE:
                        url = reverse("staff:person-edit", kwargs={"person_id": person["person_id"]})
                    found.append(Missing(f"{what}: {person['initials'] or person['name']}", where, url))
        elif not snapshot[owner].get(name):
            found.append(Missing(*labels[need]))
    return found


def needed_labels(template: TemplateInfo) -> list[str]:
    """What the template takes from the case, in words (the generation page lists it)."""
    labels = _labels(template)
    return list(dict.fromkeys(labels[need][0] for need in template.needs if need in labels))


# What a claimant's missing value is filled in on the case, not on their person record.
_FILLED_ON_THE_CASE = frozenset({"dismissal_date", "dismissal_date_words"})


# A template only for cases under the Code of Administrative Procedure names the one who sues as the
# document does, «административный истец» (docs/glossary.md); any other, «истец».
_ADMINISTRATIVE_KINDS = frozenset({CaseKind.MILITARY_ADMIN, CaseKind.OBJECTION})


def _labels(template: TemplateInfo) -> dict[str, tuple[str, str]]:
    # Where to fill it in, read after a dash: «место рождения: Соколова М. П. — в карточке человека».
    case_page, account = _("on the case page (Edit the case)"), _("in your account")
    person = _("in the person's record")
    administrative = bool(template.kinds) and set(template.kinds) <= _ADMINISTRATIVE_KINDS
    claimant_name = _("the administrative claimant's name") if administrative else _("the claimant's name")
    order_page = (_("on the administrative claimant's page: record their dismissal order") if administrative
                  else _("on the claimant's page: record their dismissal order"))
    return {
        "case.number": (_("our case number"), case_page),
        "case.court": (_("the court"), case_page),
        "case.court_number": (_("the court's case number"), case_page),
        "case.decision_date": (_("the date of the decision"), _("in the case's timeline: record the decision")),
        "case.decision_date_short": (_("the date of the decision"),
                                     _("in the case's timeline: record the decision")),
        "representative.name": (_("your full name for documents"), account),
        "representative.credentials": (_("your status and credentials (e.g. advocate, registry number)"), account),
        "representative.contacts": (_("your address for correspondence"), account),
        "organisation.name": (_("the organisation's name"), _("ask the administrator")),
        "claimant.name": (claimant_name, person),
        "claimant.birth_date": (_("date of birth"), person),
        "claimant.unit": (_("military unit"), person),
        "claimant.birth_place": (_("place of birth"), person),
        "claimant.residence_address": (_("place of residence"), person),
        "claimant.monthly_pay": (_("monthly pay at dismissal"), person),
        "claimant.identifier": (_("an identifier (СНИЛС, ИНН or passport)"), person),
        "claimant.dismissal_date": (_("date of the dismissal order"), order_page),
        "claimant.dismissal_date_words": (_("date of the dismissal order"), order_page),
    }
