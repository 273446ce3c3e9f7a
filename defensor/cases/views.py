"""The case pages: list, a case with its timeline and tasks, the roster of a group claim, one
claimant's history. A case the user holds no key for is 404 on every one of them. Views parse
and hand off to services; every page that shows a case is an audited read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from defensor.access.services import record_holders
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, acting_user, has_permission, staff_view
from defensor.accounts.selectors import team_with
from defensor.cases import services
from defensor.cases.forms import (
    CaseFilterForm,
    CaseForm,
    CaseOpenForm,
    ClaimantsEventForm,
    ClaimantStatusForm,
    EventDateForm,
    EventForm,
    NoteForm,
    ShareForm,
    TaskForm,
)
from defensor.cases.models import Case, CaseEvent, Claimant, ClaimantStatus, Task
from defensor.cases.procedures import procedure_for
from defensor.cases.selectors import (
    ROSTER_LIMIT,
    RosterRow,
    case_for,
    case_list,
    claimant_for,
    claimant_names,
    deadlines_of,
    roster,
    tasks_of,
    timeline,
)
from defensor.core.errors import DefensorError
from defensor.core.views import form_errors_to_messages, page_number
from defensor.documents.catalogue import document_titles
from defensor.documents.models import GeneratedDocument
from defensor.keys.keyring import keyring_for
from defensor.people.contact import conditions_from_handles
from defensor.people.selectors import person_handles
from defensor.people.services import people_read


def _say_keys_locked(request: HttpRequest) -> None:
    messages.error(request, _("Your keys are locked: log out and log in again."))


def _keys_locked(request: HttpRequest, back: str) -> HttpResponse:
    _say_keys_locked(request)
    return redirect(back)


@staff_view(Perm.CASES_WORK)
@require_GET
def case_list_view(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    keyring = keyring_for(request)
    filters = CaseFilterForm(request.GET or None)
    values = filters.cleaned_data if filters.is_valid() else {}
    page = case_list(actor=actor, keyring=keyring, page=page_number(request), kind=values.get("kind", ""),
                     stage=values.get("stage", ""), number=values.get("number", ""))
    rows = page.rows
    if keyring is not None:
        services.cases_listed(reader=actor, cases=[row.case.pk for row in rows], where="case_list")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/list.html", {
        "filters": filters, "page": page, "rows": rows, "query": query.urlencode(), "keys_locked": keyring is None,
        "can_open": has_permission(actor, Perm.CASES_OPEN),
    })


@staff_view(Perm.CASES_OPEN)
@require_http_methods(["GET", "POST"])
def case_new_view(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = CaseOpenForm(request.POST or None)
    keyring = keyring_for(request)
    if request.method == "POST" and form.is_valid():
        if keyring is None:
            _say_keys_locked(request)
        else:
            data = form.cleaned_data
            try:
                case = services.case_open(
                    opened_by=actor, keyring=keyring, title=data["title"], number=data["number"],
                    summary=data["summary"], group=data["group"], kind=data["kind"], court=data["court"],
                    court_number=data["court_number"],
                )
            except DefensorError as error:
                form.add_error("number", str(error.user_message))
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
                return redirect("staff:case", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/new.html", {"form": form}, status=status)


def _case_page(request: HttpRequest, case: Case, *, edit_form: CaseForm | None = None, stale: bool = False,
               status: int = 200, bound: dict[str, Any] | None = None) -> HttpResponse:
    """The case page; ``bound`` holds a form sent with a mistake, shown again with what was typed."""
    actor = acting_user(request)
    keyring = keyring_for(request)
    values = case.decrypt(keyring) if keyring is not None else None
    claimants = claimant_names(case=case, keyring=keyring)
    names = {claimant.pk: name or _("claimant %(n)s") % {"n": claimant.pk} for claimant, name in claimants}
    holders = record_holders(material=case.data_key)
    bound = dict(bound or {})
    sent_event = bound.pop("event_form", None)
    if edit_form is None:
        edit_form = CaseForm(initial={
            "title": values.title if values else "", "summary": values.summary if values else "",
            "court": values.court if values else "", "court_number": values.court_number if values else "",
            "kind": case.kind, "stage": case.stage, "outcome": case.outcome, "group": case.group,
            "lead": case.lead_id, "version": case.version,
        }, users=_case_workers(holders))
    with transaction.atomic():
        services.case_read(reader=actor, case=case, where="case")
        people_read(reader=actor, people=[c.person_id for c, name in claimants if name is not None], where="case")
    can_share = has_permission(actor, Perm.CASES_SHARE)
    return render(request, "cases/case.html", {
        "case": case, "values": values, "keys_locked": keyring is None, "procedure": procedure_for(case.kind),
        # Each line with its claimant's name, looked up here: the template does no search.
        "timeline": [(entry, names.get(entry.claimant_id or 0, ""))
                     for entry in timeline(case=case, keyring=keyring)],
        "tasks": [(t, t.decrypt(keyring).title if keyring is not None else None) for t in tasks_of(case=case)],
        "edit_form": edit_form, "stale": stale,
        "event_form": _event_form(sent_event, names), "note_form": NoteForm(),
        "task_form": TaskForm(users=holders),
        "holders": holders, "can_edit": has_permission(actor, Perm.CASES_OPEN), "can_share": can_share,
        "can_draft": has_permission(actor, Perm.DOCUMENTS_GENERATE),
        "documents": _documents(case),
        "share_form": ShareForm(users=_shareable(actor, holders)) if can_share else None,
        "claimant_count": _claimant_count(
            case, len(claimants), sum(1 for c, _name in claimants if c.status != ClaimantStatus.REMOVED)),
        "deadlines": [(row, names.get(row.deadline.claimant_id or 0, ""))
                      for row in deadlines_of(case=case, language=get_language() or "ru")],
        "today": timezone.localdate(), **bound,
    }, status=status)


def _event_form(sent: object, names: dict[int, str], **initial: Any) -> EventForm:
    """A page's event form: the one sent with a mistake (with what was typed) or a new one; either
    way its claimants are named by the page that shows it (a sent form knows only their ids)."""
    form = sent if isinstance(sent, EventForm) else EventForm(claimants=[], initial=initial or None)
    form.name_claimants(names)
    return form


def _claimant_count(case: Case, loaded: int, shown: int | None = None) -> int:
    """How many claimants the case has (not counting those removed as added by mistake, nor
    memberships folded into another by a merge), ``loaded`` being how many a page read (at most
    ROSTER_LIMIT) and ``shown`` how many of those count: counted again only when the page may
    not have read them all."""
    if loaded >= ROSTER_LIMIT:
        return case.claimants.filter(merged_into__isnull=True).exclude(status=ClaimantStatus.REMOVED).count()
    return loaded if shown is None else shown


def _people_shown(rows: list[RosterRow]) -> list[int]:
    """The person records whose names a page showed (each one an audited read)."""
    return [row.claimant.person_id for row in rows if row.name is not None]


def _documents(case: Case) -> list[tuple[GeneratedDocument, str]]:
    """The case's latest documents, each with the title of its template."""
    found = list(GeneratedDocument.objects.filter(case=case).select_related("requested_by", "case")
                 .defer("snapshot", "docx", "pdf", "envelope").order_by("-id")[:20])  # the list, not the files
    titles = document_titles(found, language=get_language() or "ru")
    return [(document, titles[document.pk]) for document in found]


def _case_workers(holders: list[User]) -> list[User]:
    """Who can be the case's responsible lawyer: those who hold it and work on cases (the
    holders' memberships are loaded with them: no query)."""
    return [user for user in holders if has_permission(user, Perm.CASES_WORK)]


def _shareable(actor: User, holders: list[User]) -> list[User]:
    """Who the case can be given to: team members who work on cases and do not hold it yet."""
    team = team_with(organisation=actor.membership.organisation, perm=Perm.CASES_WORK)
    return list(team.exclude(pk__in=[u.pk for u in holders]).order_by("username"))


@staff_view(Perm.CASES_WORK)
@require_GET
def case_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_page(request, case_for(actor=acting_user(request), case_id=case_id))


@staff_view(Perm.CASES_OPEN)
@require_POST
def case_edit_view(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    keyring = keyring_for(request)
    form = CaseForm(request.POST, users=_case_workers(record_holders(material=case.data_key)))
    if keyring is None:
        return _keys_locked(request, reverse("staff:case", args=[case.pk]))
    if not form.is_valid():
        return _case_page(request, case, edit_form=form, status=400)
    data = form.cleaned_data
    try:
        services.case_update(
            case=case, edited_by=actor, keyring=keyring, version=data["version"] or 0, title=data["title"],
            summary=data["summary"], kind=data["kind"], stage=data["stage"], outcome=data["outcome"],
            court=data["court"], court_number=data["court_number"], group=data["group"], lead_id=data["lead"],
        )
    except services.StaleCase as error:
        messages.error(request, str(error.user_message))
        current = case_for(actor=actor, case_id=case_id)
        # What they typed stays; saving it again now means "over my colleague's version, knowingly".
        retyped = request.POST.copy()
        retyped["version"] = str(current.version)
        return _case_page(request, current, edit_form=CaseForm(retyped, users=form.users), stale=True,
                          status=409)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
        return _case_page(request, case, edit_form=form, status=400)
    messages.success(request, _("Saved."))
    return redirect("staff:case", case_id=case.pk)


def _claimant_of_post(case: Case, form: EventForm) -> Claimant | None:
    """The claimant whose page sent an event form (even when the form has mistakes)."""
    try:
        return claimant_for(case=case, claimant_id=int(form.data.get("claimant", "")))
    except (ValueError, Http404):
        return None


def _claimant_of(case: Case, claimant_id: int | None) -> Any:
    return claimant_for(case=case, claimant_id=claimant_id) if claimant_id is not None else None


@staff_view(Perm.CASES_WORK)
@require_POST
def case_event_view(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    keyring = keyring_for(request)
    # Checked against the case's claimant ids: their names are decrypted only if the page is shown again.
    form = EventForm(request.POST, claimants=[(pk, str(pk)) for pk in case.claimants.values_list("pk", flat=True)])
    back = _back(request, reverse("staff:case", args=[case.pk]))
    if keyring is None:
        return _keys_locked(request, back)
    if not form.is_valid():
        if form.data.get("claimant_page") and isinstance(claimant := _claimant_of_post(case, form), Claimant):
            return _claimant_page(request, case, claimant, event_form=form, status=400)
        return _case_page(request, case, status=400, bound={"event_form": form})
    data = form.cleaned_data
    try:
        services.case_event_add(case=case, recorded_by=actor, keyring=keyring, kind=data["kind"],
                                happened_on=data["happened_on"], text=data["text"],
                                claimant=_claimant_of(case, data["claimant"]), approximate=data["approximate"])
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    else:
        messages.success(request, _("Event recorded."))
    return redirect(back)


@staff_view(Perm.CASES_WORK)
@require_POST
def case_event_date_view(request: HttpRequest, case_id: int, event_id: int) -> HttpResponse:
    """Correct when an event happened: its due dates (that claimant's only) are computed again."""
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    event = CaseEvent.objects.filter(case=case, pk=event_id).first()
    if event is None:
        raise Http404
    keyring = keyring_for(request)
    back = _back(request, reverse("staff:case", args=[case.pk]))
    if keyring is None:
        return _keys_locked(request, back)
    form = EventDateForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect(back)
    # The case page's form always says whether the date is approximate ("approximate_shown"); a
    # form without the box leaves the flag as it is.
    approximate = request.POST.get("approximate") == "on" if request.POST.get("approximate_shown") else None
    services.case_event_update(event=event, edited_by=actor, keyring=keyring,
                               happened_on=form.cleaned_data["happened_on"], approximate=approximate)
    messages.success(request, _("Date corrected; the deadlines were computed again."))
    return redirect(back)


@staff_view(Perm.CASES_WORK)
@require_POST
def case_note_view(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    keyring = keyring_for(request)
    form = NoteForm(request.POST)
    if keyring is None:
        return _keys_locked(request, reverse("staff:case", args=[case.pk]))
    if not form.is_valid():
        return _case_page(request, case, status=400, bound={"note_form": form})
    services.case_note_add(case=case, author=actor, keyring=keyring, text=form.cleaned_data["text"])
    messages.success(request, _("Note added."))
    return redirect("staff:case", case_id=case.pk)


@staff_view(Perm.CASES_WORK)
@require_POST
def case_task_view(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    keyring = keyring_for(request)
    holders = record_holders(material=case.data_key)
    form = TaskForm(request.POST, users=holders)
    if keyring is None:
        return _keys_locked(request, reverse("staff:case", args=[case.pk]))
    if not form.is_valid():
        return _case_page(request, case, status=400, bound={"task_form": form})
    data = form.cleaned_data
    assignee = next((u for u in holders if u.pk == data["assignee"]), None)
    try:
        services.case_task_add(case=case, created_by=actor, keyring=keyring, title=data["title"], assignee=assignee,
                               due_on=data["due_on"])
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    else:
        messages.success(request, _("Task added."))
    return redirect("staff:case", case_id=case.pk)


@staff_view(Perm.CASES_WORK)
@require_POST
def case_task_done_view(request: HttpRequest, case_id: int, task_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    task = Task.objects.filter(case=case, pk=task_id).first()
    if task is None:
        raise Http404
    services.case_task_done(task=task, done_by=actor)
    messages.success(request, _("Task done."))
    return redirect(_back(request, reverse("staff:case", args=[case.pk])))


@staff_view(Perm.CASES_WORK)
@require_GET
def case_roster_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _roster_page(request, case_for(actor=acting_user(request), case_id=case_id))


def _roster_page(request: HttpRequest, case: Case, *, form: ClaimantStatusForm | None = None,
                 event_form: ClaimantsEventForm | None = None, ticked: list[int] | None = None,
                 status: int = 200) -> HttpResponse:
    actor = acting_user(request)
    keyring = keyring_for(request)
    # Those removed as added by mistake are listed apart, on request (?removed=1).
    show_removed = request.method == "GET" and request.GET.get("removed") == "1"
    rows = roster(actor=actor, case=case, keyring=keyring, removed=show_removed)
    removed = (len(rows) if show_removed else
               case.claimants.filter(merged_into__isnull=True, status=ClaimantStatus.REMOVED).count())
    with transaction.atomic():
        services.case_read(reader=actor, case=case, where="roster")
        people_read(reader=actor, people=_people_shown(rows), where="roster")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.claimant.status] = counts.get(row.claimant.status, 0) + 1
    can_change = has_permission(actor, Perm.CASES_OPEN)
    total = removed if show_removed else _claimant_count(case, len(rows))
    return render(request, "cases/roster.html", {
        "case": case, "rows": rows, "keys_locked": keyring is None, "total": total,
        "title": case.decrypt(keyring).title if keyring is not None else None,
        "counts": [(label, counts.get(value, 0)) for value, label in ClaimantStatus.choices
                   if value != ClaimantStatus.REMOVED],
        "removed": removed, "show_removed": show_removed,
        "status_form": (form or ClaimantStatusForm()) if can_change else None, "ticked": set(ticked or []),
        "event_form": event_form or ClaimantsEventForm(),
    }, status=status)


@staff_view(Perm.CASES_OPEN)
@require_POST
def case_roster_events_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """One event for each claimant ticked on the roster, all in one go; a claimant who already
    has their dismissal order (or another event one claimant has once) is named, not doubled."""
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    ticked = _ids(request.POST.getlist("claimants"))
    form = ClaimantsEventForm(request.POST)
    keyring = keyring_for(request)
    if keyring is None:
        _say_keys_locked(request)
        return _roster_page(request, case, event_form=form, ticked=ticked, status=400)
    if not form.is_valid():
        return _roster_page(request, case, event_form=form, ticked=ticked, status=400)
    data = form.cleaned_data
    try:
        events, skipped = services.case_events_add_for_claimants(
            case=case, claimant_ids=ticked, recorded_by=actor, keyring=keyring, kind=data["kind"],
            happened_on=data["happened_on"], approximate=data["approximate"], text=data["text"],
        )
    except DefensorError as error:
        messages.error(request, str(error.user_message))
        return _roster_page(request, case, event_form=form, ticked=ticked, status=400)
    messages.success(request, ngettext("Event recorded for %(count)d claimant.",
                                       "Event recorded for %(count)d claimants.", len(events)) % {"count": len(events)})
    if skipped:
        names = {c.pk: name for c, name in claimant_names(case=case, keyring=keyring)}
        messages.warning(request, _("Already recorded, not added again: %(names)s.") % {
            "names": ", ".join(names.get(c.pk) or _("claimant %(n)s") % {"n": c.pk} for c in skipped)})
    return redirect("staff:case-roster", case_id=case.pk)


@staff_view(Perm.CASES_OPEN)
@require_POST
def case_roster_status_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """The same status for the claimants ticked on the roster, all or none."""
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    ticked = _ids(request.POST.getlist("claimants"))
    form = ClaimantStatusForm(request.POST)
    if _status_change(request, case, ticked, form):
        return redirect("staff:case-roster", case_id=case.pk)
    return _roster_page(request, case, form=form, ticked=ticked, status=400)


# The largest id a database row can have (a bigger number in a form is no claimant's, and some
# databases refuse to compare with it at all).
_MAX_ID = 2**63 - 1


def _ids(raw: list[str]) -> list[int]:
    ids = []
    for value in raw:
        try:
            number = int(value)
        except ValueError:
            continue
        if 0 < number <= _MAX_ID:
            ids.append(number)
    return ids


def _status_change(request: HttpRequest, case: Case, claimant_ids: list[int], form: ClaimantStatusForm) -> bool:
    """Apply a status form; False (with the reason in the page's messages or the form) if not."""
    actor = acting_user(request)
    keyring = keyring_for(request)
    if keyring is None:
        _say_keys_locked(request)
        return False
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        changes = services.claimants_status_set(
            case=case, claimant_ids=claimant_ids, recorded_by=actor, keyring=keyring, status=data["status"],
            effective_on=data["effective_on"], reason=data["reason"], note=data["note"], incident=data["incident"],
        )
    except DefensorError as error:
        messages.error(request, str(error.user_message))
        return False
    messages.success(request, _("Status changed for %(count)d claimant(s).") % {"count": len(changes)})
    return True


@staff_view(Perm.CASES_WORK)
@require_GET
def claimant_view(request: HttpRequest, case_id: int, claimant_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    return _claimant_page(request, case, claimant_for(case=case, claimant_id=claimant_id))


def _claimant_page(request: HttpRequest, case: Case, claimant: Claimant, *, form: ClaimantStatusForm | None = None,
                   event_form: EventForm | None = None, status: int = 200) -> HttpResponse:
    actor = acting_user(request)
    keyring = keyring_for(request)
    row = roster(actor=actor, case=case, keyring=keyring, only=claimant)[0]
    contact = None  # what they said about being contacted, beside the form that records a contact
    if keyring is not None and row.name is not None:  # their record is readable, and its read is audited below
        handles = person_handles(actor=actor, person=claimant.person)
        contact = conditions_from_handles((h, h.decrypt(keyring)) for h in handles)
    with transaction.atomic():
        services.case_read(reader=actor, case=case, where="claimant")
        people_read(reader=actor, people=_people_shown([row]), where="claimant")
    can_change = has_permission(actor, Perm.CASES_OPEN)
    return render(request, "cases/claimant.html", {
        "case": case, "claimant": claimant, "row": row, "keys_locked": keyring is None,
        "history": timeline(case=case, keyring=keyring, claimant=claimant),
        "status_form": (form or ClaimantStatusForm()) if can_change else None,
        "event_form": _event_form(event_form, {claimant.pk: row.name or str(claimant.pk)}, claimant=claimant.pk),
        "can_open_person": can_change, "contact": contact,
    }, status=status)


@staff_view(Perm.CASES_OPEN)
@require_POST
def claimant_status_view(request: HttpRequest, case_id: int, claimant_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    claimant = claimant_for(case=case, claimant_id=claimant_id)
    form = ClaimantStatusForm(request.POST)
    if _status_change(request, case, [claimant.pk], form):
        return redirect("staff:case-claimant", case_id=case.pk, claimant_id=claimant.pk)
    return _claimant_page(request, case, claimant, form=form, status=400)


@staff_view(Perm.CASES_SHARE)
@require_POST
def case_access_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Share the case with a colleague or partner, or take it away (at once)."""
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    keyring = keyring_for(request)
    if keyring is None:
        return _keys_locked(request, reverse("staff:case", args=[case.pk]))
    team = list(User.objects.filter(membership__organisation=actor.membership.organisation, is_active=True)
                .select_related("membership"))
    form = ShareForm(request.POST, users=team)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("staff:case", case_id=case.pk)
    user = next(u for u in team if u.pk == form.cleaned_data["user"])
    try:
        if request.POST.get("action") == "revoke":
            services.case_unshare(case=case, user=user, unshared_by=actor)
            messages.success(request, _("%(user)s no longer has access to this case.") % {"user": user.username})
        else:
            services.case_share(case=case, to_user=user, shared_by=actor, keyring=keyring)
            messages.success(request, _("%(user)s now has access to this case.") % {"user": user.username})
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    return redirect("staff:case", case_id=case.pk)


def _back(request: HttpRequest, default: str) -> str:
    """Where to go after a form: a page of this site given by the form, else ``default``."""
    back = request.POST.get("back", "")
    return back if back.startswith("/staff/cases/") and "//" not in back else default
