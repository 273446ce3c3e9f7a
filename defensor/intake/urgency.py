"""How urgently a request needs an answer, from what the person wrote.

Assessed once, on arrival (the only moment the server holds the answers in the clear without a
staff key ring), and stored as a level and a respond-by date (docs/security.md): the inbox sorts by
them without unsealing every request. The reasons are shown to the team by assessing again from
the decrypted answers; they are never stored.

The limitation periods here only rank the inbox. The exact deadline of an accepted case, with the
working-day calendar, is the deadlines module's job.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from defensor.intake.dates import given_date
from defensor.intake.models import Urgency

# Dismissal disputes: one month from being handed the order for employees with a special rank
# (Federal Law 342-FZ, art. 72 part 4); three months to challenge a decision about a serviceman
# (Code of Administrative Procedure, art. 219 part 1).
LIMITATION_MONTHS = {"special_rank": 1}
DEFAULT_LIMITATION_MONTHS = 3
CRITICAL_WITHIN = timedelta(days=14)
URGENT_WITHIN = timedelta(days=45)
DEPLOYMENT_WITHIN = timedelta(days=14)

REASON_LABELS = {
    "limitation_passed": _("The time limit for going to court may have passed: a late claim needs a good reason."),
    "limitation_ends_soon": _("The time limit for going to court ends soon."),
    "limitation_running": _("Dismissed: the time limit for going to court is running."),
    "dismissal_date_unknown": _(
        "Dismissed or may have been, the date not given: the time limit for going to court may be running."
    ),
    "criminal_case_opened": _("A criminal case has been opened."),
    "criminal_case_threatened": _("Threatened with a criminal case."),
    "deployment_imminent": _("The order to deploy is recent or still ahead."),
    "pressure": _("Pressure on the person or their family."),
}


@dataclass(frozen=True)
class Assessment:
    level: Urgency
    respond_by: date | None
    reasons: tuple[str, ...]

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS[r]) for r in self.reasons]


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day if it has no such day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def assess(answers: Mapping[str, Any], *, today: date) -> Assessment:
    level = Urgency.NORMAL
    reasons: list[str] = []
    respond_by: date | None = None

    def raise_to(new_level: Urgency, reason: str) -> None:
        nonlocal level
        level = max(level, new_level)
        reasons.append(reason)

    # A rough date (dates.py) counts from the earliest day it can be: the limit never looks
    # further away than it may be.
    dismissal = given_date(answers, "dismissal_order_date")
    dismissed = answers.get("dismissed")
    if dismissed == "yes" and dismissal is not None:
        months = LIMITATION_MONTHS.get(str(answers.get("service_category")), DEFAULT_LIMITATION_MONTHS)
        ends = add_months(dismissal.day, months)
        respond_by = ends
        if ends < today:
            raise_to(Urgency.CRITICAL, "limitation_passed")
        elif ends - today <= CRITICAL_WITHIN:
            raise_to(Urgency.CRITICAL, "limitation_ends_soon")
        elif ends - today <= URGENT_WITHIN:
            raise_to(Urgency.URGENT, "limitation_ends_soon")
        else:
            raise_to(Urgency.SOON, "limitation_running")
    elif dismissed in {"yes", "unknown"}:
        # Dismissed without a date, or «Не знаю / не помню» (a person may not know an order was
        # signed): the limit may be running, so at least as urgent as the farthest known one.
        raise_to(Urgency.SOON, "dismissal_date_unknown")
    criminal = answers.get("criminal_case")
    if criminal == "opened":
        raise_to(Urgency.CRITICAL, "criminal_case_opened")
    elif criminal == "threatened":
        raise_to(Urgency.URGENT, "criminal_case_threatened")
    # A rough order date is as recent as it can be (its last possible day): the deployment may be near.
    ordered = given_date(answers, "order_date")
    if ordered is not None and ordered.latest >= today - DEPLOYMENT_WITHIN:
        raise_to(Urgency.URGENT, "deployment_imminent")
    if [p for p in answers.get("pressure") or [] if p != "none"]:
        raise_to(Urgency.SOON, "pressure")
    return Assessment(level=Urgency(level), respond_by=respond_by, reasons=tuple(reasons))
