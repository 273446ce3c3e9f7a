from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from defensor.accounts.permissions import Perm, acting_user, staff_view
from defensor.audit.forms import AuditFilterForm
from defensor.audit.selectors import AuditFilter, audit_action_codes, audit_actor_choices, audit_events_for

PAGE_SIZE = 50


@staff_view(Perm.AUDIT_VIEW)
@require_GET
def audit_log_view(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    actors = audit_actor_choices(actor=actor)
    form = AuditFilterForm(request.GET or None, actions=audit_action_codes(actor=actor), actors=actors)
    filters = AuditFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = AuditFilter(
            action=data["action"] or "", actor_id=data["actor"], since=data["since"], until=data["until"]
        )
    page = Paginator(audit_events_for(actor=actor, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=400 if form.errors else 200,
    )
