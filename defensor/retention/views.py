"""The administrators' page of the retention policy: the policy (editable, audited) and what the
daily run erases in the next week, each row linking to its request or case, so that someone can
change its status or put it on legal hold before. No personal content is shown."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from defensor.accounts.permissions import Perm, acting_user, staff_view
from defensor.retention.forms import RetentionPolicyForm
from defensor.retention.selectors import Kind, policy_for, retention_upcoming
from defensor.retention.services import retention_policy_set


@staff_view(Perm.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def retention_view(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    organisation = actor.membership.organisation
    policy = policy_for(organisation)
    if request.method == "POST":
        form = RetentionPolicyForm(request.POST)
        if form.is_valid():
            retention_policy_set(organisation=organisation, set_by=actor, **form.cleaned_data)
            messages.success(request, _("The retention policy is saved."))
            return redirect("staff:retention")
    else:
        form = RetentionPolicyForm(initial={"spam_days": policy.spam_days, "rejected_days": policy.rejected_days,
                                            "closed_case_years": policy.closed_case_years})
    upcoming = retention_upcoming(organisation=organisation, today=timezone.localdate())
    return render(request, "retention/retention.html", {
        "form": form, "policy": policy, "upcoming": upcoming, "kinds": list(Kind),
    }, status=400 if form.is_bound and form.errors else 200)
