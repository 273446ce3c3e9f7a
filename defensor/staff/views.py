from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from defensor.accounts.models import Role
from defensor.accounts.permissions import Perm, acting_user, has_permission, staff_view
from defensor.keys.keyring import keyring_for
from defensor.keys.services import recovery_kit_delete, recovery_kit_path


@staff_view(Perm.WORKSPACE)
@require_GET
def home_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    organisation = user.membership.organisation
    return render(
        request,
        "staff/home.html",
        {
            "organisation": organisation,
            "role": Role(user.membership.role),
            "recovery_kit_on_disk": has_permission(user, Perm.USERS_MANAGE)
            and recovery_kit_path(organisation).exists(),
            "keys_locked": keyring_for(request) is None,
        },
    )


@staff_view(Perm.USERS_MANAGE)
@require_POST
def recovery_kit_delete_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if recovery_kit_delete(organisation=user.membership.organisation, deleted_by=user):
        messages.success(request, _("The recovery kit file was overwritten and deleted from the server."))
    return redirect("staff:home")
