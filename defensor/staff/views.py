from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from defensor.accounts.models import Role
from defensor.accounts.permissions import Perm, acting_user, staff_view


@staff_view(Perm.WORKSPACE)
@require_GET
def home_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    return render(
        request,
        "staff/home.html",
        {"organisation": user.membership.organisation, "role": Role(user.membership.role)},
    )
