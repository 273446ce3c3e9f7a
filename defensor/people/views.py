"""A person's record for the team: what is known, how to reach them safely, their cases,
duplicates to merge (or merges to undo), and how documents write their name. Views parse and
hand off to services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from defensor.accounts.permissions import Perm, acting_user, staff_view
from defensor.cases.models import Claimant
from defensor.cases.selectors import cases_for
from defensor.core.errors import DefensorError
from defensor.core.grammar import NAME_FORM_CASES, name_forms, recorded_gender
from defensor.keys.keyring import KeyRing, keyring_for
from defensor.keys.records import Decrypted
from defensor.people import options, services
from defensor.people.contact import conditions_from_handles
from defensor.people.forms import (
    FIELD_LABELS,
    GENDER_CHOICES,
    NAME_FORM_LABELS,
    HandleForm,
    NameFormsForm,
    PersonForm,
    birth_date_shown,
)
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
    computed = services.name_forms_computed(values.full_name or "", values.gender)
    if form is None:
        form = NameFormsForm(initial=overrides, computed=computed)
    printed = (  # what documents print
        name_forms(values.full_name or "", overrides, gender=recorded_gender(values.gender)) if computed else {}
    )
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
    # A membership folded into another one by a merge is not a claim of this record any more.
    claims = (Claimant.objects.filter(person=person, merged_into__isnull=True, case__in=cases_for(actor=actor))
              .select_related("case"))
    return render(request, "people/person.html", {
        "person": person,
        "values": values,
        "record": _record_rows(values),
        "history": _history(person, keyring),
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


# --- the record: shown, edited, its history -------------------------------------------------------

# What the person page lists, in the order court forms ask for it (the name is the heading).
_SHOWN_FIELDS = (
    "surname", "given_name", "patronymic", "gender", "birth_date", "birth_place", "residence_address",
    "postal_address", "passport", "snils", "inn", "unit", "service_category", "force", "region", "service_post",
    "monthly_pay", "notes",
)


def _shown_value(name: str, value: str | None) -> str:
    """A stored value as people read it: dates as dd.mm.yyyy, choices by their label."""
    if not value:
        return ""
    if name == "birth_date":
        return birth_date_shown(value)
    if name == "monthly_pay":  # stored «54321.00», read «54 321,00 руб.»
        try:
            return _("%(sum)s roubles") % {"sum": f"{Decimal(value):,.2f}".replace(",", "\u00a0").replace(".", ",")}
        except ArithmeticError:
            return value
    choices = {
        "gender": [(code, str(label)) for code, label in GENDER_CHOICES],
        "service_category": options.service_category_choices(),
        "force": options.force_choices(),
        "region": options.region_choices(),
    }.get(name)
    return options.label_of(choices, value) if choices is not None else value


def _record_rows(values: Decrypted) -> list[dict[str, Any]]:
    return [
        {"name": name, "label": FIELD_LABELS[name], "value": _shown_value(name, values[name])}
        for name in _SHOWN_FIELDS
    ]


def _history(person: Person, keyring: KeyRing) -> list[dict[str, Any]]:
    """Each change, newest first: who, when, and the fields with the values they replaced."""
    return [
        {
            "revision": revision,
            "fields": [
                {
                    "label": FIELD_LABELS.get(name, name),
                    "previous": _shown_value(name, previous.get(name)) if name != "name_forms" else (
                        _("the lawyer's own forms") if previous.get(name) else ""
                    ),
                }
                for name in revision.fields
            ],
        }
        for revision, previous in services.person_revisions(person=person, keyring=keyring)
    ]


def _stored_and_shown(person: Person, keyring: KeyRing) -> tuple[Decrypted, dict[str, str]]:
    stored = person.decrypt(keyring)
    return stored, {name: services.field_digest(person, name, stored[name]) for name in services.PERSON_FIELDS}


def _back_to(request: HttpRequest) -> str:
    """Where saving the record returns to when the lawyer came from another page (the documents
    page's "what is missing" list): a path on this site only, never another host or scheme."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return ""


def _edit_page(
    request: HttpRequest, person: Person, *, form: PersonForm | None = None, handle_form: HandleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = acting_user(request)
    keyring = keyring_for(request)
    if keyring is None:
        return render(request, "people/edit.html", {"person": person, "keys_locked": True}, status=status)
    stored, shown = _stored_and_shown(person, keyring)
    handles = [(h, h.decrypt(keyring)) for h in person_handles(actor=actor, person=person)]
    services.people_read(reader=actor, people=[person.pk], where="person_edit")
    return render(request, "people/edit.html", {
        "person": person,
        "name": stored.full_name,
        "form": form or PersonForm(stored=stored, shown=shown),
        "handle_form": handle_form or HandleForm(),
        "handles": handles,
        "contact": conditions_from_handles(handles),
        "next": _back_to(request),
    }, status=status)


def _with_name_made(typed: dict[str, str], changed: set[str]) -> dict[str, str]:
    """The full name kept consistent with its parts: when the lawyer changed a part and left the
    full name as it was (or empty), the full name is made from the parts («Фамилия Имя Отчество»);
    a full name the lawyer typed differently is kept as typed (a name that does not fit three
    parts), and so is the full name when no part changed."""
    made = " ".join(typed[name] for name in ("surname", "given_name", "patronymic") if typed[name])
    parts_changed = bool(changed & {"surname", "given_name", "patronymic"})
    if made and ((parts_changed and "full_name" not in changed) or not typed["full_name"]):
        return {**typed, "full_name": made}
    return typed


@staff_view(Perm.CASES_OPEN)
def person_edit_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """Keep a person record up to date: the name in parts, birth, addresses, identifiers, gender
    for grammar, service. Only the fields changed in the form are written."""
    actor = acting_user(request)
    person = person_for(actor=actor, person_id=person_id)
    keyring = keyring_for(request)
    if request.method != "POST" or keyring is None:
        if request.method == "POST":
            messages.error(request, _("Your keys are locked: log out and log in again."))
        return _edit_page(request, person)
    stored, shown_now = _stored_and_shown(person, keyring)
    form = PersonForm(request.POST, stored=stored, shown=shown_now)
    if not form.is_valid():
        return _edit_page(request, person, form=form, status=400)
    shown: dict[str, str] = form.cleaned_data["shown"]
    typed = form.typed_values()

    def changed_in_form(values: dict[str, str]) -> set[str]:
        return {name for name, value in values.items() if services.field_digest(person, name, value) != shown.get(name)}

    typed = _with_name_made(typed, changed_in_form(typed))
    changed = {name: typed[name] for name in sorted(changed_in_form(typed))}
    try:
        services.person_edit(person=person, updated_by=actor, keyring=keyring, values=changed, shown=shown)
    except services.EditConflict as conflict:
        # Keep what was typed; the form now carries the record as it is, so saving again replaces
        # the colleague's values with these (or the lawyer changes them first).
        person.refresh_from_db()
        stored, shown_now = _stored_and_shown(person, keyring)
        data = request.POST.copy()
        data["shown"] = PersonForm(stored=stored, shown=shown_now).initial["shown"]
        form = PersonForm(data, stored=stored, shown=shown_now)
        form.is_valid()
        fields = ", ".join(str(FIELD_LABELS[name]) for name in conflict.fields)
        form.add_error(None, _(
            "While you were editing, a colleague saved other values of: %(fields)s. Your text is still in the "
            "form: check it against the record and save again to keep yours."
        ) % {"fields": fields})
        return _edit_page(request, person, form=form, status=409)
    except DefensorError as error:
        form.add_error(None, str(error.user_message))
        return _edit_page(request, person, form=form, status=400)
    if changed:
        messages.success(request, _("Saved. The previous values are kept in the record's history."))
    else:
        messages.success(request, _("Nothing was changed."))
    return redirect(_back_to(request) or reverse("staff:person", kwargs={"person_id": person.pk}))


@staff_view(Perm.CASES_OPEN)
@require_POST
def person_handle_add_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """Add a way to reach the person, from the edit page."""
    actor = acting_user(request)
    person = person_for(actor=actor, person_id=person_id)
    keyring = keyring_for(request)
    form = HandleForm(request.POST)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect("staff:person-edit", person_id=person.pk)
    if not form.is_valid():
        return _edit_page(request, person, handle_form=form, status=400)
    try:
        services.handle_add(person=person, added_by=actor, keyring=keyring, handle=services.HandleInput(
            kind=form.cleaned_data["kind"], value=form.cleaned_data["value"],
            safe_times=form.cleaned_data["safe_times"], safe_to_contact=form.cleaned_data["safe_to_contact"],
        ))
    except DefensorError as error:
        form.add_error(None, str(error.user_message))
        return _edit_page(request, person, handle_form=form, status=400)
    messages.success(request, _("The way to reach them is added."))
    return redirect("staff:person-edit", person_id=person.pk)


@staff_view(Perm.CASES_OPEN)
@require_POST
def handle_remove_view(request: HttpRequest, handle_id: int) -> HttpResponse:
    """Remove a way to reach the person (no longer theirs, or written down wrongly)."""
    actor = acting_user(request)
    handle = handle_for(actor=actor, handle_id=handle_id)
    if request.POST.get("confirm") != "remove":  # the page's button sends it: a bare POST removes nothing
        messages.error(request, _("The form was not sent. Nothing was changed."))
        return redirect("staff:person-edit", person_id=handle.person_id)
    try:
        services.handle_remove(handle=handle, removed_by=actor)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    else:
        messages.success(request, _("The way to reach them is removed."))
    return redirect("staff:person-edit", person_id=handle.person_id)
