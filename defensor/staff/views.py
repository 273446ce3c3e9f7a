from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from defensor.access.services import recovery_kit_delete, recovery_kit_path
from defensor.accounts.models import Role
from defensor.accounts.permissions import Perm, acting_user, has_permission, staff_view
from defensor.cases.selectors import dashboard
from defensor.cases.services import cases_listed
from defensor.deadlines.selectors import OVERVIEW_DAYS, overview_due, unseen_reminders
from defensor.intake.selectors import waiting_requests
from defensor.keys.keyring import keyring_for
from defensor.operations.selectors import backup_health
from defensor.people.services import people_read
from defensor.retention.selectors import retention_upcoming_count


@staff_view(Perm.WORKSPACE)
@require_GET
def home_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    organisation = user.membership.organisation
    keyring = keyring_for(request)
    works_on_cases = has_permission(user, Perm.CASES_WORK)
    board = dashboard(actor=user, keyring=keyring) if works_on_cases and keyring is not None else None
    language = get_language() or settings.LANGUAGE_CODE
    if board is not None:  # the overview shows case titles, task titles and claimants' names: audited
        cases_listed(reader=user, where="overview",
                     cases=[row.case.pk for row in board.cases] + [task.case_id for task, _title in board.tasks])
        people_read(reader=user, where="overview",
                    people=[claimant.person_id for claimant, name in board.follow_ups if name is not None])
    return render(
        request,
        "staff/home.html",
        {
            "organisation": organisation,
            "role": Role(user.membership.role),
            "recovery_kit_on_disk": has_permission(user, Perm.USERS_MANAGE)
            and recovery_kit_path(organisation).exists(),
            "keys_locked": keyring is None,
            "dashboard": board,
            "due": overview_due(actor=user, language=language) if board is not None else None,
            "reminders": unseen_reminders(actor=user, language=language) if board is not None else [],
            "due_days": OVERVIEW_DAYS,
            "follow_up_days": settings.DEFENSOR_FOLLOW_UP_DAYS,
            "waiting": waiting_requests(actor=user) if has_permission(user, Perm.INTAKE_TRIAGE) else None,
            # Administrators are told when the last good backup is too old or the last drill failed.
            "backups": backup_health() if has_permission(user, Perm.USERS_MANAGE) else None,
            # Administrators see a week ahead what the retention policy will erase.
            "retention_due": retention_upcoming_count(organisation=organisation, today=timezone.localdate())
            if has_permission(user, Perm.USERS_MANAGE) else 0,
        },
    )


@staff_view(Perm.USERS_MANAGE)
@require_POST
def recovery_kit_delete_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if recovery_kit_delete(organisation=user.membership.organisation, deleted_by=user):
        messages.success(request, _("The recovery kit file was overwritten and deleted from the server."))
    return redirect("staff:home")
