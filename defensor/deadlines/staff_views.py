"""Team pages of the deadlines app: marking a due date met (or pending again), the calendar feed's
address on the account page, dismissing a reminder."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from defensor.accounts.permissions import Perm, acting_user, staff_view
from defensor.cases.forms import DeadlineMetForm
from defensor.cases.selectors import case_for
from defensor.core.views import form_errors_to_messages
from defensor.deadlines import services
from defensor.deadlines.models import Deadline


def _deadline(request: HttpRequest, case_id: int, deadline_id: int) -> Deadline:
    case = case_for(actor=acting_user(request), case_id=case_id)
    deadline = Deadline.objects.filter(case=case, pk=deadline_id).select_related("case__data_key").first()
    if deadline is None:
        raise Http404
    return deadline


def _case_page(deadline: Deadline) -> str:
    return reverse("staff:case", args=[deadline.case_id]) + "#deadlines"


@staff_view(Perm.CASES_WORK)
@require_POST
def deadline_met_view(request: HttpRequest, case_id: int, deadline_id: int) -> HttpResponse:
    """Met without an event here saying so (filed by post, by another lawyer)."""
    deadline = _deadline(request, case_id, deadline_id)
    form = DeadlineMetForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect(_case_page(deadline))
    services.deadline_mark_met(deadline=deadline, marked_by=acting_user(request), met_on=form.cleaned_data["met_on"])
    messages.success(request, _("Due date marked as met."))
    return redirect(_case_page(deadline))


@staff_view(Perm.CASES_WORK)
@require_POST
def deadline_reopen_view(request: HttpRequest, case_id: int, deadline_id: int) -> HttpResponse:
    deadline = _deadline(request, case_id, deadline_id)
    services.deadline_reopen(deadline=deadline, reopened_by=acting_user(request))
    messages.success(request, _("Due date marked as pending again."))
    return redirect(_case_page(deadline))


@staff_view(Perm.CASES_WORK)
@require_POST
def feed_view(request: HttpRequest) -> HttpResponse:
    """Issue a new feed address (shown once: only its hash is kept) or revoke the current one."""
    user = acting_user(request)
    if request.POST.get("action") == "revoke":
        services.calendar_feed_revoke(user=user)
        messages.success(request, _("The calendar feed address no longer works."))
        return redirect("staff:account")
    token = services.calendar_feed_issue(user=user)
    address = request.build_absolute_uri(reverse("feeds:deadlines", args=[token]))
    response = render(request, "deadlines/feed_issued.html", {"address": address})
    response["Cache-Control"] = "no-store"
    return response


@staff_view(Perm.CASES_WORK)
@require_POST
def reminder_seen_view(request: HttpRequest, reminder_id: int) -> HttpResponse:
    services.reminder_dismiss(reminder_id=reminder_id, user=acting_user(request))
    return redirect("staff:home")
