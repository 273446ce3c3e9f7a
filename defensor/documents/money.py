"""The money a claim asks for, calculated as a court reads it (ГПК ст. 131 ч. 2 п. 6, ст. 132: the
price of the claim and its calculation), and the state fee by the kind of claim (builtin/fees.yaml).

Back pay for enforced absence (денежное довольствие за время вынужденного прогула) runs from the day
after the dismissal order to the filing date inclusive. Денежное довольствие is paid per calendar
month, so a whole calendar month counts as the monthly pay and a part month as the monthly pay
divided by that month's calendar days times the days of absence in it. Verify with counsel: whether
a court wants the average earnings of ст. 139 ТК РФ instead, and whether supplements paid less often
than monthly belong in the figure. Pure functions, Decimal, each line rounded to kopecks once
(half up); a claimant's total is the sum of their lines."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from defensor.core.grammar import amount_in_words

KOPECK = Decimal("0.01")
FEES_FILE = Path(__file__).resolve().parent / "builtin" / "fees.yaml"


@dataclass(frozen=True)
class PayLine:
    """One line of the calculation: whole calendar months, or the days of one part month."""

    start: date
    end: date
    months: int  # whole calendar months in the line (0 for a part month)
    days: int  # days of absence in a part month (0 for whole months)
    month_days: int  # calendar days of that month (0 for whole months)
    amount: Decimal


@dataclass(frozen=True)
class BackPay:
    monthly_pay: Decimal
    lines: tuple[PayLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def months(self) -> int:
        return sum(line.months for line in self.lines)

    @property
    def days(self) -> int:
        return sum(line.days for line in self.lines)


def _rounded(amount: Decimal) -> Decimal:
    return amount.quantize(KOPECK, rounding=ROUND_HALF_UP)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def back_pay(*, monthly_pay: Decimal, dismissed_on: date, until: date) -> BackPay:
    """Back pay from the day after ``dismissed_on`` to ``until`` inclusive (nothing when that
    period is empty): a line for the first part month, one for the whole months, one for the last
    part month, each present only when it has days."""
    if monthly_pay < 0:
        raise ValueError("monthly pay is not negative")
    lines: list[PayLine] = []
    cursor = dismissed_on + timedelta(days=1)
    while cursor <= until:
        last = _month_end(cursor)
        end = min(last, until)
        if cursor.day == 1 and end == last:  # a whole calendar month: whole months share one line
            previous = lines[-1] if lines and lines[-1].months else None
            start, months = (previous.start, previous.months + 1) if previous else (cursor, 1)
            if previous:
                lines.pop()
            lines.append(_whole(monthly_pay, start, end, months))
        else:
            days = (end - cursor).days + 1
            lines.append(PayLine(start=cursor, end=end, months=0, days=days, month_days=last.day,
                                 amount=_rounded(monthly_pay * days / last.day)))
        cursor = end + timedelta(days=1)
    return BackPay(monthly_pay=monthly_pay, lines=tuple(lines))


def _whole(monthly_pay: Decimal, start: date, end: date, months: int) -> PayLine:
    return PayLine(start=start, end=end, months=months, days=0, month_days=0,
                   amount=_rounded(monthly_pay * months))


# --- as documents print it ------------------------------------------------------------------------


def figures(amount: Decimal) -> str:
    """«123 456,78», with no-break spaces between the thousands (as context.amount_typed)."""
    return f"{amount.copy_abs():,.2f}".replace(",", "\u00a0").replace(".", ",")


def typed(amount: Decimal) -> dict[str, str]:
    return {"figures": figures(amount), "words": amount_in_words(amount)}


def _short(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _period(start: date, end: date) -> str:
    """«с 02.10.2026 по 30.11.2026», a line never broken between a preposition and its date."""
    return f"с\u00a0{_short(start)} по\u00a0{_short(end)}"


def _line_snapshot(line: PayLine, monthly_pay: Decimal) -> dict[str, Any]:
    if line.months:
        formula = f"{figures(monthly_pay)} руб. × {line.months} мес."
    else:
        formula = f"{figures(monthly_pay)} руб. : {line.month_days} дн. × {line.days} дн."
    return {
        "period": _period(line.start, line.end), "months": line.months, "days": line.days,
        "month_days": line.month_days, "formula": formula, "sum": figures(line.amount),
    }


def back_pay_snapshot(calculation: BackPay) -> dict[str, Any]:
    """What a template prints: the total in figures and words, the period, the whole months and
    days, and each line (period, formula, sum)."""
    lines = calculation.lines
    period = _period(lines[0].start, lines[-1].end) if lines else ""
    return {
        **typed(calculation.total), "period": period, "months": calculation.months, "days": calculation.days,
        "lines": [_line_snapshot(line, calculation.monthly_pay) for line in lines],
    }


def claimant_money(*, monthly_pay: str | None, dismissed_on: date | None, until: date) -> dict[str, Any]:
    """A claimant's part of the snapshot: ``monthly_pay`` as typed ({figures, words} or "") and
    ``back_pay`` from the day after dismissal to ``until`` ({figures, words, amount, period, months,
    days, lines} or "" when the pay or the dismissal date is not known)."""
    try:
        pay = Decimal(monthly_pay) if monthly_pay else None
        if pay is not None:
            shown = typed(pay)  # refuses what is not a sum of money
    except (ArithmeticError, ValueError):  # not stored by the person form: treated as not given
        pay = None
    if pay is None:
        return {"monthly_pay": "", "back_pay": ""}
    if dismissed_on is None:
        return {"monthly_pay": shown, "back_pay": ""}
    calculation = back_pay(monthly_pay=pay, dismissed_on=dismissed_on, until=until)
    return {"monthly_pay": shown, "back_pay": {**back_pay_snapshot(calculation), "amount": str(calculation.total)}}


def claim_price(claimants: Sequence[dict[str, Any]]) -> dict[str, str] | str:
    """The price of the claim: the back pay asked for all its claimants added up ("" when none has
    it). Verify with counsel: ГПК ст. 91 ч. 1 п. 1 (a money claim is priced at the sum asked) and
    п. 10 (a claim of several demands) — whether co-claimants' demands are added up for the price."""
    totals = [Decimal(c["back_pay"]["amount"]) for c in claimants if c.get("back_pay")]
    return typed(sum(totals, Decimal("0.00"))) if totals else ""


# --- the state fee --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeRule:
    template_id: str
    exempt: bool
    amount: Decimal | None  # roubles, when paid
    per: str  # "claim" (one fee for the claim) or "claimant" (each claimant pays it)
    basis: str  # the article, as the document cites it
    verify: bool


@cache
def fee_rules() -> dict[str, FeeRule]:
    data = yaml.safe_load(FEES_FILE.read_text(encoding="utf-8"))
    rules: dict[str, FeeRule] = {}
    for template_id, raw in (data.get("fees") or {}).items():
        exempt = raw["rule"] == "exempt"
        if raw["rule"] not in ("exempt", "paid"):
            raise ValueError(f"{template_id}: rule is exempt or paid")
        per = str(raw.get("per", "claim"))
        if per not in ("claim", "claimant"):
            raise ValueError(f"{template_id}: per is claim or claimant")
        amount = None if exempt else Decimal(str(raw["amount"]))
        rules[str(template_id)] = FeeRule(template_id=str(template_id), exempt=exempt, amount=amount, per=per,
                                          basis=str(raw["basis"]), verify=bool(raw.get("verify", False)))
    return rules


NO_FEE: dict[str, Any] = {"figures": "", "words": "", "basis": "", "exempt": False, "paid": False}


def state_fee(template_key: str, *, claimants: int) -> dict[str, Any]:
    """The state fee a document states: exempt with its basis, or the sum to pay; for a template
    without a rule (an upload, a request) nothing."""
    rule = fee_rules().get(template_key.removeprefix("builtin:")) if template_key.startswith("builtin:") else None
    if rule is None:
        return dict(NO_FEE)
    if rule.exempt or rule.amount is None:
        return {**NO_FEE, "basis": rule.basis, "exempt": True}
    amount = rule.amount * (max(claimants, 1) if rule.per == "claimant" else 1)
    return {**typed(amount), "basis": rule.basis, "exempt": False, "paid": True}
