"""A person's record for the team: what is known, how to reach them safely, their cases,
duplicates to merge (or merges to undo), and how documents write their name. Views parse and
hand off to services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from defensor.accounts.permissions import Perm, acting_user, staff_view
from defensor.cases.models import Claimant
from defensor.cases.selectors import cases_for
from defensor.core.errors import DefensorError
from defensor.core.grammar import NAME_FORM_CASES, name_forms
from defensor.keys.keyring import keyring_for
from defensor.keys.records import Decrypted
from defensor.people import services
from defensor.people.contact import conditions_from_handles
from defensor.people.forms import NAME_FORM_LABELS, NameFormsForm
from defensor.people.matching import REASON_LABELS, identity_of
from defensor.people.models import Person
from defensor.people.selectors import (
    handle_for,
    match_candidates,
    people_merged_into,
    person_for,
    person_handles,
)


@staff_view(Perm.CASES_OPEN)
@require_GET
def person_view(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = acting_user(request)
    person = person_for(actor=actor, person_id=person_id, include_merged=True)
    return _person_page(request, person)


def _name_forms_section(values: Decrypted, form: NameFormsForm | None) -> dict[str, Any]:
    """The name in each case as documents will print it (the lawyer's text marked), and the form
    to correct it: unbound, the stored corrections; bound, what was typed."""
    overrides = services.name_form_overrides(values.name_forms)
    computed = services.name_forms_computed(values.full_name or "")
    if form is None:
        form = NameFormsForm(initial=overrides, computed=computed)
    printed = name_forms(values.full_name or "", overrides) if computed else {}  # what documents print
    rows = [
        {
            "case": case.value,
            "label": NAME_FORM_LABELS[case.value],
            "printed": printed.get(case.value, ""),
            "own": case.value in overrides,
            "field": form[case.value],
        }
        for case in NAME_FORM_CASES
    ]
    return {"name_forms_form": form, "name_forms": rows, "name_to_decline": bool(computed)}


def _person_page(
    request: HttpRequest, person: Person, *, name_forms_form: NameFormsForm | None = None, status: int = 200
) -> HttpResponse:
    actor = acting_user(request)
    keyring = keyring_for(request)
    if keyring is None:
        return render(request, "people/person.html", {"person": person, "keys_locked": True}, status=status)
    values = person.decrypt(keyring)
    handles = [(h, h.decrypt(keyring)) for h in person_handles(actor=actor, person=person)]
    merged = [(p, p.decrypt(keyring).full_name) for p in people_merged_into(actor=actor, person=person)]
    duplicates = []
    opened: list[int] = []  # every record decrypted to look for duplicates (audited)
    if person.merged_into_id is None:
        identity = identity_of(values, (v.value or "" for _h, v in handles))
        duplicates = [
            (c, [str(REASON_LABELS[r]) for r in c.reasons if r in REASON_LABELS])
            for c in match_candidates(actor=actor, keyring=keyring, identity=identity, decrypted=opened)
            if c.person_id != person.pk
        ]
    services.people_read(
        reader=actor, people=sorted({person.pk, *(p.pk for p, _n in merged), *opened}), where="person"
    )
    # Only the cases the reader may open: the others' numbers are not theirs to see.
    claims = Claimant.objects.filter(person=person, case__in=cases_for(actor=actor)).select_related("case")
    return render(request, "people/person.html", {
        "person": person,
        "values": values,
        "handles": handles,
        "contact": conditions_from_handles(handles),
        "merged": merged,
        "duplicates": duplicates,
        "claims": claims,
        **_name_forms_section(values, name_forms_form),
    }, status=status)


@staff_view(Perm.CASES_OPEN)
@require_POST
def person_name_forms_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """Correct how documents write the person's name in the cases the library gets wrong."""
    actor = acting_user(request)
    keyring = keyring_for(request)
    person = person_for(actor=actor, person_id=person_id, include_merged=True)
    form = NameFormsForm(request.POST)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect("staff:person", person_id=person.pk)
    if not form.is_valid():
        return _person_page(request, person, name_forms_form=form, status=400)
    try:
        changed = services.person_name_forms_set(
            person=person, edited_by=actor, keyring=keyring, forms=form.typed_forms()
        )
    except DefensorError as error:
        form.add_error(None, str(error.user_message))
        return _person_page(request, person, name_forms_form=form, status=400)
    if changed:
        messages.success(request, _("Saved. Documents made from now on write the name this way."))
    else:
        messages.success(request, _("Nothing to change: documents already write the name this way."))
    return redirect("staff:person", person_id=person.pk)


@staff_view(Perm.CASES_OPEN)
@require_POST
def person_merge_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """Merge this record (a duplicate) into the one chosen as the person's record."""
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
        services.person_merge(source=source, into=into, merged_by=actor, keyring=keyring)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
        return redirect("staff:person", person_id=source.pk)
    messages.success(request, _("Merged. The duplicate is kept and can be separated again."))
    return redirect("staff:person", person_id=into.pk)


@staff_view(Perm.CASES_OPEN)
@require_POST
def person_unmerge_view(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = acting_user(request)
    person = person_for(actor=actor, person_id=person_id, include_merged=True)
    try:
        services.person_unmerge(person=person, unmerged_by=actor)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    else:
        messages.success(request, _("The records are separate again."))
    return redirect("staff:person", person_id=person.pk)


@staff_view(Perm.CASES_OPEN)
@require_POST
def handle_safety_view(request: HttpRequest, handle_id: int) -> HttpResponse:
    """The team confirms (or withdraws) that contacting the person this way is safe, and when."""
    actor = acting_user(request)
    keyring = keyring_for(request)
    handle = handle_for(actor=actor, handle_id=handle_id)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect("staff:person", person_id=handle.person_id)
    try:
        services.handle_update_safety(
            handle=handle, updated_by=actor, keyring=keyring,
            safe_to_contact=bool(request.POST.get("safe_to_contact")),
            safe_times=request.POST.get("safe_times", "")[:200],
        )
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    else:
        messages.success(request, _("Saved."))
    return redirect("staff:person", person_id=handle.person_id)
