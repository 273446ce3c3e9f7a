"""Merging person records and un-merging them, from the person page: the people and their
claimant memberships at once (cases.merging). Where the two records are claimants of one case
with different statuses, a page asks which status to keep, case by case."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from defensor.accounts.permissions import Perm, acting_user, staff_view
from defensor.cases import merging
from defensor.core.errors import DefensorError
from defensor.keys.keyring import keyring_for
from defensor.people.selectors import person_for
from defensor.people.services import people_read


@staff_view(Perm.CASES_OPEN)
@require_POST
def person_merge_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """Merge this record (a duplicate) into the one chosen as the person's record, their claims
    with it; asks first which status to keep where the two claimants' statuses differ."""
    actor = acting_user(request)
    keyring = keyring_for(request)
    source = person_for(actor=actor, person_id=person_id)
    try:
        into = person_for(actor=actor, person_id=int(request.POST.get("into", "")))
    except (ValueError, Http404):
        messages.error(request, _("Choose the record this one duplicates."))
        return redirect("staff:person", person_id=source.pk)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect("staff:person", person_id=source.pk)
    try:
        merging.merge_check(source=source, actor=actor)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
        return redirect("staff:person", person_id=source.pk)
    conflicts = merging.merge_conflicts(source=source, into=into) if source.pk != into.pk else []
    choices = merging.status_choices_from(request.POST, conflicts)
    if len(choices) < len(conflicts):
        asked = "keep_asked" in request.POST  # the question page was sent without an answer for every case
        if asked:
            messages.error(request, _("Choose a status for every case listed."))
        people_read(reader=actor, people=[source.pk, into.pk], where="merge")
        return render(request, "people/merge_choose.html", {
            "source": source, "into": into,
            "source_name": source.decrypt(keyring).full_name or "—",
            "into_name": into.decrypt(keyring).full_name or "—",
            "conflicts": conflicts, "choices": choices,
        }, status=400 if asked else 200)
    try:
        merging.people_merge(source=source, into=into, merged_by=actor, keyring=keyring, keep_status=choices)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
        return redirect("staff:person", person_id=source.pk)
    messages.success(request, _("Merged, with their claims. The duplicate is kept and can be separated again."))
    return redirect("staff:person", person_id=into.pk)


@staff_view(Perm.CASES_OPEN)
@require_POST
def person_unmerge_view(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = acting_user(request)
    person = person_for(actor=actor, person_id=person_id, include_merged=True)
    try:
        merging.people_unmerge(person=person, unmerged_by=actor)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    else:
        messages.success(request, _("The records are separate again, with their claims as they were."))
    return redirect("staff:person", person_id=person.pk)
