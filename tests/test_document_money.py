"""Money in a claim: each claimant's back pay for the enforced absence and its calculation, the price
of the claim, the state fee by the kind of claim; the monthly pay typed once on the person's record
and sealed there; a group reinstatement claim of 3 and of 115 with a sum per claimant."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from defensor.documents.money import KOPECK, back_pay, back_pay_snapshot, fee_rules, state_fee

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
    assert shown["lines"][0]["period"] == "с 15.02.2024 по 29.02.2024"
    assert shown["lines"][0]["formula"] == "29\u00a0000,00 руб. : 29 дн. × 15 дн."
    ordinary = back_pay(monthly_pay=Decimal("28000.00"), dismissed_on=date(2025, 2, 13), until=date(2025, 2, 28))
    assert ordinary.lines[0].month_days == 28
    assert ordinary.total == Decimal("15000.00")


def test_a_dismissal_on_the_31st_starts_the_absence_on_the_first_of_the_next_month() -> None:
    calculation = back_pay(monthly_pay=Decimal("50000.00"), dismissed_on=date(2026, 1, 31), until=date(2026, 4, 10))
    shown = back_pay_snapshot(calculation)
    assert shown["period"] == "с 01.02.2026 по 10.04.2026"
    assert [(line["period"], line["sum"]) for line in shown["lines"]] == [
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
