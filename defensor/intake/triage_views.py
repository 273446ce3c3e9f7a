"""The triage inbox: the team reads requests, decides on them, assigns and answers them.

Views parse and hand off to services (intake.services) and selectors (intake.selectors). What a
person wrote is decrypted with the reader's key ring for the page being shown, and every such read
is audited.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, acting_user, require_permission, staff_view
from defensor.cases.procedures import suggested_kind
from defensor.cases.selectors import case_for, group_cases_for
from defensor.core.errors import DefensorError
from defensor.intake import files, receipts, search, services
from defensor.intake.accept_views import bulk_accept_page
from defensor.intake.canned import UnknownReply, canned_replies, canned_reply
from defensor.intake.carry import Carried, carried_facts
from defensor.intake.forms import StepForm, answer_rows, render_fields
from defensor.intake.matches import CERTAIN_WHY, certain_candidate, open_case_of
from defensor.intake.models import OPEN_STATUSES, Attachment, Channel, Status, Submission
from defensor.intake.questionnaire import default_questionnaire
from defensor.intake.selectors import (
    InboxFilter,
    assignable_users,
    inbox_for,
    oldest_unanswered,
    submission_for,
    submissions_by_ids,
    summaries,
    team_names,
)
from defensor.intake.triage_forms import (
    ACCEPT_INTO_GROUP,
    AcceptForm,
    AssignForm,
    BulkForm,
    HotlineForm,
    InboxFilterForm,
    InboxSearchForm,
    ReplyForm,
    StatusForm,
)
from defensor.intake.urgency import assess
from defensor.keys import crypto
from defensor.keys.keyring import KeyRing, NoAccess, keyring_for
from defensor.people.contact import ContactConditions
from defensor.people.matching import PHONE_FLAG_LABELS, REASON_LABELS, phone_flags
from defensor.people.selectors import match_candidates, person_for

PAGE_SIZE = 25
LONG_WAIT_HOURS = 48

# Urgency is assessed on arrival; time limits come closer every day. Raised at most once a day per
# server process, when someone opens the inbox.
_urgency_refreshed: dict[int, date] = {}


def _refresh_urgency(user: User) -> None:
    organisation = user.membership.organisation
    today = timezone.localdate()
    if _urgency_refreshed.get(organisation.pk) != today:
        services.urgency_refresh(organisation=organisation, today=today)
        _urgency_refreshed[organisation.pk] = today


def _filters(form: InboxFilterForm) -> InboxFilter:
    if not (form.is_bound and form.is_valid()):
        return InboxFilter()
    data = form.cleaned_data
    return InboxFilter(
        statuses=tuple(data["status"]) or InboxFilter().statuses,
        assigned=data["assigned"] or "",
        channel=data["channel"] or "",
        min_urgency=data["min_urgency"] or 0,
        held_only=bool(data["held"]),
        order=data["order"] or "urgency",
    )


@staff_view(Perm.INTAKE_TRIAGE)
@require_http_methods(["GET", "POST"])
def inbox_view(request: HttpRequest) -> HttpResponse:
    """The inbox, filtered by the address's query (statuses, assignee, channel: no personal data);
    a search (POST, so the term never enters an address or a log) narrows it to the requests whose
    digests match, in every status unless the lawyer chose statuses."""
    actor = acting_user(request)
    keyring = keyring_for(request)
    _refresh_urgency(actor)
    users = list(assignable_users(actor=actor))
    form = InboxFilterForm(request.GET or None, users=users)
    filters = _filters(form)
    search_form = InboxSearchForm(request.POST if request.method == "POST" else None)
    found = _inbox_search(request, actor, keyring, search_form, filters)
    if found is None and keyring is not None:
        search.submissions_index(actor=actor, keyring=keyring)  # a batch of new requests made searchable
    if found is not None:
        page = Paginator(found.ids, PAGE_SIZE).get_page(request.POST.get("page"))
        rows = search.requests_listed(actor=actor, ids=list(page.object_list))
    else:
        page = Paginator(inbox_for(actor=actor, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page.object_list)
    shown = summaries(submissions=rows, keyring=keyring)
    readable = [s for s in rows if shown[s.pk].readable]
    if found is not None and found.term is not None:
        found.heading = found.heading % {"n": page.paginator.count}
        found.capped = page.paginator.count >= search.MAX_FOUND
        search.search_logged(actor=actor, term=found.term, found=page.paginator.count, shown=readable)
    else:
        services.submissions_read(reader=actor, submissions=readable, where="inbox")
    oldest = oldest_unanswered(actor=actor)
    names = team_names(actor=actor)
    query = request.GET.copy()
    query.pop("page", None)
    bad = form.errors or (found is not None and found.term is None)
    return render(request, "triage/inbox.html", {
        "form": form,
        "search_form": search_form,
        "search": found,
        "page": page,
        "rows": [(s, shown[s.pk], names.get(s.assigned_to_id or 0, "")) for s in rows],
        "query": query.urlencode(),
        "oldest_unanswered": oldest,
        "long_wait": oldest is not None and (timezone.now() - oldest).total_seconds() > LONG_WAIT_HOURS * 3600,
        "bulk_form": BulkForm(users=users),
        "keys_locked": keyring is None,
        "back": request.get_full_path(),
    }, status=400 if bad else 200)


@dataclass
class _Found:
    """A search on the inbox page: what the term was taken for and what it found."""

    term: search.SearchTerm | None
    ids: list[Any]  # in the inbox's order
    heading: str = ""
    all_statuses: bool = True
    capped: bool = False  # more matched than a search lists
    unsearched: int = 0  # requests left without digests (a flood beyond SEARCH_LIMIT, or no key for them)


_FOUND_HEADINGS = {
    search.PHONE: gettext_lazy("Requests with this phone number: %(n)d"),
    search.CONTACT_HANDLE: gettext_lazy("Requests with this messenger name or e-mail: %(n)d"),
    search.SURNAME_TERM: gettext_lazy("Requests with this surname (in any alphabet): %(n)d"),
    search.UNIT_TERM: gettext_lazy("Requests from this military unit: %(n)d"),
    search.BIRTH_DATE_TERM: gettext_lazy("Requests with this date of birth: %(n)d"),
}


def _inbox_search(
    request: HttpRequest, actor: User, keyring: KeyRing | None, form: InboxSearchForm, filters: InboxFilter
) -> _Found | None:
    """The search asked for on this POST, or None (no search: the inbox as filtered)."""
    if request.method != "POST":
        return None
    if not form.is_valid():
        return _Found(term=None, ids=[])
    term = search.parse_term(form.cleaned_data["term"])
    if term is None:
        form.add_error("term", _("Enter a phone number, a surname, a unit number or a date of birth (dd.mm.yyyy)."))
        return _Found(term=None, ids=[])
    if keyring is None:
        form.add_error("term", _("Your keys are locked: log out and log in again to search."))
        return _Found(term=None, ids=[])
    # Requests that arrived since anyone last opened the inbox are made searchable first.
    search.submissions_index_all(actor=actor, keyring=keyring)
    all_statuses = "status" not in request.GET  # a search finds accepted and closed requests too
    if all_statuses:
        filters = dataclasses.replace(filters, statuses=())
    try:
        found = search.requests_found(actor=actor, keyring=keyring, term=term, filters=filters)
    except search.SearchKeyMissing:
        form.add_error("term", _("You do not hold the organisation's search key yet: ask an administrator."))
        return _Found(term=None, ids=[])
    return _Found(term=term, ids=found, heading=str(_FOUND_HEADINGS[term.kind]), all_statuses=all_statuses,
                  unsearched=search.pending_count(actor=actor))


@staff_view(Perm.INTAKE_TRIAGE)
@require_POST
def inbox_bulk_view(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    users = list(assignable_users(actor=actor))
    form = BulkForm(request.POST, users=users)
    ids = [raw for raw in request.POST.getlist("ids") if _is_uuid(raw)]
    back = _safe_back(request.POST.get("back", ""))
    if not ids:
        messages.error(request, _("Select at least one request."))
        return redirect(back)
    if not form.is_valid() or not form.cleaned_data["action"]:
        messages.error(request, _("Choose what to do with the selected requests."))
        return redirect(back)
    if form.cleaned_data["action"] == ACCEPT_INTO_GROUP:  # the selection goes on by POST, never the address
        return bulk_accept_page(request)
    chosen = submissions_by_ids(actor=actor, ids=ids)
    kind, _sep, value = form.cleaned_data["action"].partition(":")
    try:
        if kind == "status":
            done = services.submissions_bulk_status(submissions=chosen, status=Status(value), changed_by=actor)
        elif kind == "assign":
            assignee = next((u for u in users if str(u.pk) == value), None)
            done = services.submissions_bulk_assign(submissions=chosen, assignee=assignee, assigned_by=actor)
        else:
            keyring = keyring_for(request)
            if keyring is None:
                messages.error(request, _("Your keys are locked: log out and log in again to send replies."))
                return redirect(back)
            done = services.submissions_bulk_reply(submissions=chosen, canned_id=value, author=actor, keyring=keyring)
    except DefensorError as error:
        messages.error(request, _("Nothing was changed: %(reason)s") % {"reason": error.user_message})
        return redirect(back)
    messages.success(request, ngettext("Done for %(n)d request.", "Done for %(n)d requests.", done) % {"n": done})
    return redirect(back)


def _is_uuid(raw: str) -> bool:
    try:
        uuid.UUID(raw)
    except ValueError:
        return False
    return True


def _safe_back(path: str) -> str:
    """Only back to the inbox itself (never an address from elsewhere)."""
    return path if path.startswith("/staff/inbox/") and "//" not in path else "/staff/inbox/"


@staff_view(Perm.INTAKE_TRIAGE)
@require_GET
def submission_view(request: HttpRequest, submission_id: uuid.UUID) -> HttpResponse:
    actor = acting_user(request)
    submission = submission_for(actor=actor, submission_id=submission_id)
    initial = {}
    if request.GET.get("canned"):
        with contextlib.suppress(UnknownReply):
            initial = {"text": canned_reply(request.GET["canned"]).text_in(submission.language)}
    search.submission_index(submission=submission, actor=actor, keyring=keyring_for(request))  # if pending
    return _submission_page(request, actor, submission, ReplyForm(initial=initial))


def _contact_conditions(answers: dict[str, Any]) -> ContactConditions:
    """What the person answered in the questionnaire's contact step, in the reader's language."""
    methods = [str(m) for m in answers.get("contact_methods") or []]
    question = next((q for q in default_questionnaire().questions() if q.id == "contact_methods"), None)
    labels = {o.value: str(o.label) for o in question.options} if question else {}
    said = answers.get("safe_to_leave_messages")
    times = str(answers.get("safe_time") or "").strip()
    return ContactConditions(
        ways=tuple(labels.get(m, m) for m in methods if m != "site_only"),
        leave_messages=None if said not in ("yes", "no") else said == "yes",
        safe_times=(times,) if times else (),
        site_only=methods == ["site_only"],
    )


def _submission_page(
    request: HttpRequest, actor: User, submission: Submission, reply_form: ReplyForm, *, status: int = 200,
    accept_form: AcceptForm | None = None,
) -> HttpResponse:
    keyring = keyring_for(request)
    users = list(assignable_users(actor=actor))
    answers = thread = decrypted = None
    reasons: list[str] = []
    checks: list[str] = []  # things to check before calling (a Kazakhstan number, say)
    contact = None
    if keyring is not None and submission.withdrawn_at is None:
        try:
            decrypted = services.submission_answers(submission=submission, keyring=keyring)
            thread = services.submission_thread(submission=submission, keyring=keyring)
        except (crypto.Tampered, NoAccess, KeyError):
            decrypted = thread = None
        if decrypted is not None:
            answers = answer_rows(default_questionnaire(), decrypted)
            contact = _contact_conditions(decrypted)
            reasons = assess(decrypted, today=timezone.localdate()).reason_labels
            if decrypted.get("phone"):
                checks = [str(PHONE_FLAG_LABELS[f]) for f in sorted(phone_flags(str(decrypted["phone"])))]
            services.submissions_read(reader=actor, submissions=[submission], where="request")
    accept = None
    if decrypted is not None and keyring is not None and submission.status in OPEN_STATUSES:
        accept = accept_form or _accept_form(actor, keyring, submission, decrypted)
    carried = None
    if decrypted is not None and keyring is not None and submission.status == Status.ACCEPTED:
        carried = carried_facts(submission=submission, answers=decrypted, keyring=keyring)
    attached = None
    if decrypted is not None and keyring is not None:
        with contextlib.suppress(crypto.Tampered, NoAccess, KeyError, ValueError):
            attached = files.submission_files(submission=submission, keyring=keyring, reader=actor)
    conversation = files.thread_with_files(thread or [], attached or [])
    return render(request, "triage/submission.html", {
        "submission": submission,
        "answers": answers,
        "accept_form": accept,
        "candidates": accept.candidates if accept else [],
        "certain_why": CERTAIN_WHY,
        "carried": carried,
        "attached": attached,
        "thread": thread,
        "conversation": conversation,
        "in_case_not_held": bool(attached) and not all(f.downloadable for f in attached or []),
        "reasons": reasons,
        "checks": checks,
        "contact": contact,
        "status_form": StatusForm(initial={"status": submission.status}),
        "assign_form": AssignForm(initial={"assignee": submission.assigned_to_id or ""}, users=users),
        "reply_form": reply_form,
        "canned": canned_replies(),
        "keys_locked": keyring is None,
        "is_open": submission.status in OPEN_STATUSES and submission.withdrawn_at is None,
    }, status=status)


@staff_view(Perm.INTAKE_TRIAGE)
@require_GET
def submission_file_view(request: HttpRequest, submission_id: uuid.UUID, attachment_id: uuid.UUID) -> HttpResponse:
    """One file of the request, only ever as a download: never rendered, previewed or sniffed. A file
    that is an item of the case's evidence is downloaded through the item (its chain of custody
    records the download)."""
    actor = acting_user(request)
    submission = submission_for(actor=actor, submission_id=submission_id)
    attachment = Attachment.objects.filter(submission=submission, pk=attachment_id).first()
    keyring = keyring_for(request)
    if attachment is None or submission.withdrawn_at is not None:
        raise Http404
    evidence = files.evidence_of_files(submission=submission, attachment_ids=[str(attachment.pk)],
                                       reader=actor).get(str(attachment.pk))
    if evidence is not None:
        return redirect("staff:evidence-download", evidence.case_id, evidence.item_id)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect("staff:submission", submission.pk)
    try:
        opened = files.submission_file_download(submission=submission, attachment=attachment, reader=actor,
                                                keyring=keyring)
    except (NoAccess, crypto.Tampered, KeyError) as error:
        raise Http404 from error
    response = StreamingHttpResponse(opened.chunks, content_type="application/octet-stream")
    # The sealed size: a download cut short by a changed file is visibly incomplete (keys.streams).
    response["Content-Length"] = str(opened.size)
    response["Content-Disposition"] = _attachment_disposition(opened.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]  # staff_view's type knows HttpResponse only


def _attachment_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback name and the real one as filename* (UTF-8)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=utf-8''{quote(name, safe='')}"


def _submission_or_404(request: HttpRequest, submission_id: uuid.UUID) -> tuple[User, Submission]:
    actor = acting_user(request)
    return actor, submission_for(actor=actor, submission_id=submission_id)


def _act(request: HttpRequest, submission: Submission, action: Callable[[], object], done: str) -> HttpResponse:
    """Run one service for the request page, then show the page again with what happened."""
    try:
        action()
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    else:
        messages.success(request, done)
    return redirect("staff:submission", submission_id=submission.pk)


@staff_view(Perm.INTAKE_TRIAGE)
@require_POST
def submission_status_view(request: HttpRequest, submission_id: uuid.UUID) -> HttpResponse:
    actor, submission = _submission_or_404(request, submission_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("staff:submission", submission_id=submission.pk)
    status = Status(form.cleaned_data["status"])
    return _act(request, submission, lambda: services.submission_status_set(
        submission=submission, status=status, changed_by=actor), _("Status changed."))


@staff_view(Perm.INTAKE_TRIAGE)
@require_POST
def submission_assign_view(request: HttpRequest, submission_id: uuid.UUID) -> HttpResponse:
    actor, submission = _submission_or_404(request, submission_id)
    users = list(assignable_users(actor=actor))
    form = AssignForm(request.POST, users=users)
    if not form.is_valid():
        messages.error(request, _("Choose a team member."))
        return redirect("staff:submission", submission_id=submission.pk)
    assignee = next((u for u in users if str(u.pk) == form.cleaned_data["assignee"]), None)
    return _act(request, submission, lambda: services.submission_assign(
        submission=submission, assignee=assignee, assigned_by=actor), _("Assigned."))


@staff_view(Perm.INTAKE_TRIAGE)
@require_POST
def submission_reply_view(request: HttpRequest, submission_id: uuid.UUID) -> HttpResponse:
    actor, submission = _submission_or_404(request, submission_id)
    keyring = keyring_for(request)
    form = ReplyForm(request.POST)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again to send replies."))
        return redirect("staff:submission", submission_id=submission.pk)
    if not form.is_valid():
        return _submission_page(request, actor, submission, form, status=400)  # what was typed is kept
    return _act(request, submission, lambda: services.submission_reply(
        submission=submission, author=actor, keyring=keyring, text=form.cleaned_data["text"],
        needs_info=form.cleaned_data["needs_info"],
    ), _("Reply sent. The person reads it with their receipt phrase."))


# --- hotline: a request taken by phone ------------------------------------------------------


def _hotline_forms(data: Any = None) -> tuple[list[StepForm], dict[str, Any]]:
    """Every step of the questionnaire on one page; answers are gathered step by step so a
    follow-up's condition sees the answers before it."""
    questionnaire = default_questionnaire()
    answers: dict[str, Any] = {}
    forms = []
    for step in questionnaire.steps:
        form = StepForm(data, step=step, answers=dict(answers), show_all=True, prefix=step.id)
        if data is not None and form.is_valid():
            answers.update(form.answers())
        forms.append(form)
    return forms, questionnaire.visible_answers(answers)


def _hotline_page(request: HttpRequest, forms: list[StepForm], language_form: HotlineForm, *, status: int = 200
                  ) -> HttpResponse:
    return render(request, "triage/hotline.html", {
        "steps": [(form.step, render_fields(form)) for form in forms],
        "language_form": language_form,
        "has_errors": any(form.errors for form in forms) or bool(language_form.errors),
    }, status=status)


@staff_view(Perm.INTAKE_HOTLINE)
@require_http_methods(["GET", "POST"])
def hotline_view(request: HttpRequest) -> HttpResponse:
    """A team member on the phone fills the public questionnaire for the caller. The request is
    sealed like any other (the person taking it cannot read it back afterwards unless they may
    triage) and enters the inbox marked as a phone call."""
    actor = acting_user(request)
    if request.method == "GET":
        forms, _answers = _hotline_forms()
        return _hotline_page(request, forms, HotlineForm())
    forms, answers = _hotline_forms(request.POST)
    language_form = HotlineForm(request.POST)
    if not language_form.is_valid() or any(not form.is_valid() for form in forms):
        return _hotline_page(request, forms, language_form, status=400)  # nothing typed is lost
    language = language_form.cleaned_data["language"]
    receipt = receipts.from_seed(receipts.new_seed(), language=language)
    try:
        received = services.submission_receive(
            questionnaire=default_questionnaire(), answers=answers, files=[], language=language,
            receipt=receipt, channel=Channel.PHONE, taken_by=actor,
        )
    except (services.IntakeBusy, services.IntakeClosed, DatabaseError) as error:
        messages.error(request, str(getattr(error, "user_message", services.IntakeBusy.user_message)))
        return _hotline_page(request, forms, language_form, status=503)
    # Searchable at once if the person taking the call holds the search key (from what they typed).
    search.submission_index(submission=received.submission, actor=actor, keyring=keyring_for(request), answers=answers)
    return render(request, "triage/hotline_receipt.html", {"receipt": receipt})  # staff pages are no-store


# --- accepting a request ----------------------------------------------------------------------


def _accept_form(
    actor: User, keyring: KeyRing, submission: Submission, answers: dict[str, Any], data: Any = None
) -> AcceptForm:
    """The accept form, with the people the request may come from (found through the blind
    indexes, scored on the decrypted values) and the group claims the actor works on."""
    details = services.person_details(answers)
    identity = details.identity()
    opened: list[int] = []
    candidates = match_candidates(actor=actor, keyring=keyring, identity=identity, decrypted=opened)
    readable = [c for c in candidates if c.accessible]
    groups = group_cases_for(actor=actor, keyring=keyring)
    # A certain match (matches.is_certain) preselects the known record and the case their work is in.
    certain = certain_candidate(candidates, identity)
    their_case = open_case_of(actor=actor, person_id=certain.person_id) if certain else None
    if their_case is not None and all(case.pk != their_case.pk for case, _title in groups):
        groups.append((their_case, their_case.decrypt(keyring).title or ""))
    services.people_matched(reader=actor, submission=submission, people=opened,
                            cases=[case.pk for case, _title in groups])
    form = AcceptForm(
        data,
        people=[(str(c.person_id), c.display or "") for c in readable],
        cases=[(str(case.pk), f"{case.number} — {title}") for case, title in groups],
        candidates=[(c, [str(REASON_LABELS[r]) for r in c.reasons if r in REASON_LABELS]) for c in candidates],
        initial={"person": str(certain.person_id) if certain else "new",
                 "case": str(their_case.pk) if their_case else "new", "case_kind": suggested_kind(answers)},
    )
    form.certain = certain
    form.certain_case = their_case
    return form


@staff_view(Perm.INTAKE_TRIAGE)
@require_POST
def submission_accept_view(request: HttpRequest, submission_id: uuid.UUID) -> HttpResponse:
    actor, submission = _submission_or_404(request, submission_id)
    keyring = keyring_for(request)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again to accept requests."))
        return redirect("staff:submission", submission_id=submission.pk)
    require_permission(actor, Perm.CASES_OPEN)
    try:
        answers = services.submission_answers(submission=submission, keyring=keyring)
    except NoAccess:  # a new colleague whose intake key is still on its way
        messages.error(request, _("You do not hold the key this request was sealed to yet: your account page "
                                  "says who can pass it on to you."))
        return redirect("staff:submission", submission_id=submission.pk)
    form = _accept_form(actor, keyring, submission, answers, request.POST)
    if not form.is_valid():
        return _submission_page(request, actor, submission, ReplyForm(), status=400, accept_form=form)
    data = form.cleaned_data
    person = None if data["person"] == "new" else person_for(actor=actor, person_id=int(data["person"]))
    case = None if data["case"] == "new" else case_for(actor=actor, case_id=int(data["case"]))
    try:
        accepted = services.submission_accept(
            submission=submission, accepted_by=actor, keyring=keyring, person=person, case=case,
            case_title=data["case_title"], group=data["group"], case_kind=data["case_kind"],
        )
    except DefensorError as error:
        messages.error(request, str(error.user_message))
        return redirect("staff:submission", submission_id=submission.pk)
    messages.success(request, accepted_message(accepted.case.number, accepted.carried))
    if not accepted.claimant.is_open:  # they had left this claim: writing again does not bring them back
        messages.warning(request, _("This person had left the claim (%(status)s since %(day)s). If they come back, "
                                    "change their status on the roster.") % {
            "status": accepted.claimant.get_status_display(),
            "day": accepted.claimant.status_on.strftime("%d.%m.%Y") if accepted.claimant.status_on else "—",
        })
    # Straight to the decision and what was carried (below the answers and the thread, screens down).
    return redirect(reverse("staff:submission", args=[submission.pk]) + "#decision")


def accepted_message(number: str, carried: Carried) -> str:
    """The flash message after accepting: counts only (messages are kept in the session); the
    request's page lists what was carried, from the sealed records."""
    said = [_("Accepted into case %(number)s.") % {"number": number}]
    if carried.added:
        events = len(carried.added_events)
        said.append(_("Carried from the request: %(events)s, %(fields)s, %(files)s.") % {
            "events": ngettext("%(n)d event", "%(n)d events", events) % {"n": events},
            "fields": ngettext("%(n)d field of the person record", "%(n)d fields of the person record",
                               len(carried.fields_filled)) % {"n": len(carried.fields_filled)},
            "files": ngettext("%(n)d file", "%(n)d files", carried.files) % {"n": carried.files},
        })
    if carried.differences:
        said.append(ngettext(
            "%(n)d difference between the request and the records was not applied: see below.",
            "%(n)d differences between the request and the records were not applied: see below.",
            carried.differences) % {"n": carried.differences})
    return " ".join(said)
