"""Putting a case on legal hold, and releasing it (the button on the case page). A case on hold is
never erased by the retention policy (docs/security.md, "Retention and erasure")."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from defensor.accounts.permissions import Perm, acting_user, staff_view
from defensor.cases.selectors import case_for
from defensor.cases.services import case_legal_hold_set
from defensor.core.errors import DefensorError


@staff_view(Perm.CASES_SHARE)
@require_POST
def case_hold_view(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)  # 404 for a case one does not hold
    hold = request.POST.get("hold")
    if hold not in {"on", "off"}:
        messages.error(request, _("Choose whether to put the case on legal hold or release it."))
        return redirect("staff:case", case_id=case.pk)
    try:
        case_legal_hold_set(case=case, hold=hold == "on", set_by=actor)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    else:
        messages.success(request, _("The case is on legal hold: it will not be erased.") if hold == "on"
                         else _("The legal hold is released: the retention policy applies to the case again."))
    return redirect("staff:case", case_id=case.pk)
