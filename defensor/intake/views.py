"""The public intake: no JavaScript, no external resources, nothing kept between steps.

One view walks the questionnaire: every POST carries the encrypted state of the answers so far
(see state.py), and the response is the next step. Views parse and hand off to services.
"""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Callable
from functools import wraps
from html import escape
from typing import Any

from django import forms
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from defensor.core.middleware import csrf_protect
from defensor.intake import receipts, selectors, services
from defensor.intake.forms import StepForm, answer_rows, initial_from, render_fields
from defensor.intake.models import Submission
from defensor.intake.pages import filled_page, step_page
from defensor.intake.questionnaire import Question, Questionnaire, Step, default_questionnaire
from defensor.intake.state import (
    MAX_FILES_IN_STATE,
    AttachedFile,
    IntakeState,
    StateUnreadable,
    checked_mac,
    ensure_visit_key,
    forget_visit,
    open_state,
    seal_state,
    set_visit_cookie,
    visit_key,
)
from defensor.intake.uploads import EncryptedUpload, EncryptingUploadHandler, remove_unkept


@require_GET
def landing_view(request: HttpRequest) -> HttpResponse:
    """The public front page: what this is, and how a person's safety is protected."""
    return render(request, "intake/landing.html", {"show_language_switch": True})


def _language() -> str:
    return (get_language() or settings.LANGUAGE_CODE)[:2]


def _render_step(
    request: HttpRequest, questionnaire: Questionnaire, state: IntakeState, step: Step,
    form: StepForm | None = None, *, status: int = 200, upload_errors: list[str] | None = None,
    returning: bool = False,
) -> HttpResponse:
    """``returning``: opened with «изменить» from the review, the page goes back to the review
    (one round trip, not every later page again)."""
    state.step = step.id
    form = form or StepForm(step=step, answers=_before(step, state.answers), initial=initial_from(state.answers, step))
    visible = questionnaire.visible_steps(state.answers)
    position = next((i for i, s in enumerate(visible) if s.id == step.id), 0) + 1
    context = {
        "questionnaire": questionnaire,
        "step": step,
        "form": form,
        "fields": render_fields(form),
        "state": seal_state(ensure_visit_key(request), state),
        "attached": {q.id: state.files.get(q.id, []) for q in form.attachment_questions},
        "upload_errors": upload_errors or [],
        "position": position,
        "total": len(visible),
        "has_previous": questionnaire.previous_step(state.answers, step.id) is not None,
        "multipart": bool(form.attachment_questions),
        "max_mb": settings.DEFENSOR_INTAKE_MAX_FILE_BYTES // (1024 * 1024),
        "returning": returning,
        "abandoned_hours": settings.DEFENSOR_INTAKE_ABANDONED_HOURS,
        "last": questionnaire.next_step(state.answers, step.id) is None,
    }
    return set_visit_cookie(request, step_page(request, context, status=status))


def _render_review(
    request: HttpRequest, questionnaire: Questionnaire, state: IntakeState, *, status: int = 200,
    message: str = "",
) -> HttpResponse:
    """The review page; answered "busy" (503) it is the "try again" page: the same answers, still
    only in this page's sealed state, and the advice to press Send again (intake/try_again.html)."""
    state.step = "review"
    answers = _answers_markup(
        _in_sections(state.answers, answer_rows(questionnaire, state.answers, files=state.files))
    )
    sealed = seal_state(ensure_visit_key(request), state)
    if status == 200 and not message:  # as every visitor sees it but for these: made once (pages.py)
        page = filled_page(request, "intake/review.html", {"answers": answers, "state": conditional_escape(sealed)})
        return set_visit_cookie(request, page)
    context = {"questionnaire": questionnaire, "answers": answers, "state": sealed, "message": message}
    template = "intake/try_again.html" if status == 503 else "intake/review.html"
    return set_visit_cookie(request, render(request, template, context, status=status))


Rows = list[tuple[str, str | None]]
Sections = list[tuple[Any, Rows]]  # (the section's heading or None, its rows)


def _in_sections(answers: dict[str, Any], answered: list[tuple[Step, Rows]]) -> list[tuple[Step, Sections]]:
    """Each page's answers under the section headings the page had (a long page reads in parts on
    the review too): (step, [(section or None, rows)])."""
    grouped = []
    for step, rows in answered:
        visible = [q for q in step.questions if q.visible(answers)]
        if len(visible) != len(rows):  # not one row per question shown: no headings, nothing lost
            grouped.append((step, [(None, rows)]))
            continue
        groups: Sections = []
        for question, row in zip(visible, rows, strict=True):
            if question.section is not None or not groups:
                groups.append((question.section, []))
            groups[-1][1].append(row)
        grouped.append((step, groups))
    return grouped


def _answers_markup(answered: list[tuple[Step, Sections]]) -> SafeString:
    """The review's answers as HTML: each page's title with its «change» button, its section
    headings and its rows. Written out here, every text escaped (a newline in an answer kept as
    <br>, as linebreaksbr does), rather than looped over in the template, where each row cost a
    dozen nodes."""
    change = escape(_("change"))
    parts: list[str] = []
    for step, groups in answered:
        parts.append(
            f'<h2>{escape(str(step.title))} <button type="submit" name="action" value="edit:{escape(step.id)}" '
            f'class="link" form="review-change">{change}</button></h2>\n'
        )
        for section, rows in groups:
            if section:
                parts.append(f'<h3 class="section">{escape(str(section))}</h3>\n')
            items = "".join(f"<dt>{escape(label)}</dt><dd>{_lines(value or '—')}</dd>" for label, value in rows)
            parts.append(f'<dl class="answers">\n{items}\n</dl>\n')
    return mark_safe("".join(parts))  # noqa: S308 -- every text above is escaped


def _lines(text: str) -> str:
    """``text`` escaped, each of its lines kept (linebreaksbr's output)."""
    return escape(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")


def _expired(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/expired.html", status=400)


# A question's answer may arrive as its own field or in parts (a date: day, month, year, "roughly").
_ANSWER_PARTS = ("", "_day", "_month", "_year", "_approximate")


def _before(step: Step, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers given before this page: a follow-up's condition on this page is decided by what
    is posted now, never by what the page held before (a «Да» changed to «Нет» on coming back does
    not keep its follow-up required)."""
    own = {question.id + part for question in step.questions for part in _ANSWER_PARTS}
    return {k: v for k, v in answers.items() if k not in own}


def _kept_as_posted(
    step: Step, answers: dict[str, Any], posted: MultiValueDict[str, Any] | None = None
) -> MultiValueDict[str, Any]:
    """The step's kept answers as if posted, under what was ``posted`` (a question posted in any of
    its parts keeps what was posted)."""
    data: MultiValueDict[str, Any] = posted.copy() if posted is not None else MultiValueDict()
    for question in step.questions:
        if any(question.id + part in data for part in _ANSWER_PARTS):
            continue
        for name in (question.id + part for part in _ANSWER_PARTS):  # a date's "roughly" is kept beside it
            value = answers.get(name)
            if value is not None:
                data.setlist(name, value if isinstance(value, list) else [value])
    return data


def _first_incomplete_step(questionnaire: Questionnaire, state: IntakeState) -> tuple[Step, StepForm] | None:
    """The first visible step whose answers are missing or not valid (a forged or stale state).
    A page the server checked with the same answers as now (its own and the earlier pages', the
    only ones its conditions may look at) is not checked again; its required files always are."""
    for step in questionnaire.visible_steps(state.answers):
        before = _before(step, state.answers)
        checked = state.checked.get(step.id, "")
        if (
            checked
            and hmac.compare_digest(checked, _checked_mac(questionnaire, state, step))
            and not any(_file_missing(q, step, before, state) for q in step.questions)
        ):
            continue
        form = StepForm(_kept_as_posted(step, state.answers), step=step, answers=before)
        missing_file = any(
            q.required and not state.files.get(q.id) for q in form.attachment_questions
        )
        if not form.is_valid() or missing_file:
            return step, form
    return None


def _file_missing(question: Question, step: Step, before: dict[str, Any], state: IntakeState) -> bool:
    """A required file question the page shows (as StepForm decides) with no file attached."""
    return (
        question.type == "attachment" and question.required and not state.files.get(question.id)
        and (question.visible(before) or question.follows_up_on(step))
    )


def _checked_mac(questionnaire: Questionnaire, state: IntakeState, step: Step) -> str:
    """state.checked_mac over the answers to ``step`` and every page before it."""
    earlier = _answer_names_through(questionnaire, step.id)
    answers = {k: v for k, v in state.answers.items() if k in earlier}
    return checked_mac(state.visit, questionnaire.id, questionnaire.version, step.id, answers)


def _answer_names_through(questionnaire: Questionnaire, step_id: str) -> frozenset[str]:
    """Every answer's name (with a date's parts) on the pages up to and including ``step_id``."""
    made = _names_through.get((id(questionnaire), step_id))
    if made is None or made[0] is not questionnaire:
        names: set[str] = set()
        for page in questionnaire.steps:
            names.update(q.id + part for q in page.questions for part in _ANSWER_PARTS)
            if page.id == step_id:
                break
        if len(_names_through) > MAX_NAMES_THROUGH:
            _names_through.clear()
        made = _names_through[(id(questionnaire), step_id)] = (questionnaire, frozenset(names))
    return made[1]


MAX_NAMES_THROUGH = 1000  # a few pages per questionnaire version
_names_through: dict[tuple[int, str], tuple[Questionnaire, frozenset[str]]] = {}


UploadView = Callable[[HttpRequest, EncryptingUploadHandler, set[str]], HttpResponse]


def with_encrypted_uploads(*, unsent: bool) -> Callable[[UploadView], Callable[[HttpRequest], HttpResponse]]:
    """Install the encrypting upload handler before the body is read, then check CSRF (with our
    middleware), and afterwards delete every file the request wrote but the view did not keep.
    ``unsent``: files go into a form not sent yet (capped in all while they wait)."""

    def decorate(view: UploadView) -> Callable[[HttpRequest], HttpResponse]:
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            handler = EncryptingUploadHandler(request, unsent=unsent)
            request.upload_handlers = [handler]
            kept: set[str] = set()
            try:
                return protected(request, handler, kept)
            finally:
                remove_unkept(handler, kept)

        return wrapper

    return decorate


def _try_later(response: HttpResponse) -> HttpResponse:
    response["Retry-After"] = "120"
    return response


@require_http_methods(["GET", "POST"])
@with_encrypted_uploads(unsent=True)
def request_view(request: HttpRequest, handler: EncryptingUploadHandler, kept: set[str]) -> HttpResponse:
    questionnaire = default_questionnaire()
    if request.method == "GET":
        state = IntakeState.new(questionnaire.id, questionnaire.version)
        first = questionnaire.next_step(state.answers, None)
        assert first is not None  # noqa: S101 - a questionnaire has at least one step (schema check)
        return _render_step(request, questionnaire, state, first)
    try:
        state = open_state(visit_key(request), request.POST.get("state", ""))
    except StateUnreadable:
        return _expired(request)
    if state.questionnaire != questionnaire.id:
        return _expired(request)
    carried_over = state.version != questionnaire.version
    if carried_over and not _carry_over(questionnaire, state):
        return _expired(request)
    action = request.POST.get("action", "next")
    if state.step == "review":
        return _review_action(request, questionnaire, state, action)
    step = questionnaire.step(state.step)
    if step is None or not step.visible(state.answers):
        return _expired(request)
    if action.startswith("edit:"):
        return _render_step(request, questionnaire, state, _visible_step(questionnaire, state, action) or step)
    # Carried over, the page posted was the earlier version's: the answers kept fill the rest of the
    # page that took it over.
    posted = _kept_as_posted(step, state.answers, request.POST) if carried_over else request.POST
    form = StepForm(posted, step=step, answers=_before(step, state.answers))
    _remove_files(state, request.POST.getlist("remove_file"))
    errors, busy = _take_uploads(request, handler, state, form, kept)
    # Opened from the review (a hidden field: forged, it only shortens the way to the review, where
    # every page is checked again before anything is sent).
    returning = request.POST.get("returning") == "1"
    if busy:  # no room for files now: the same page, what was typed kept, "try again later"
        form.is_valid()
        return _try_later(_render_step(request, questionnaire, state, step, form, status=503, upload_errors=errors,
                                       returning=returning))
    if action == "back":
        # Keep what is valid on this page (and any files just added), then go back; a field refused
        # keeps the answer it had before.
        form.is_valid()
        _merge(state, step, form)
        previous = questionnaire.previous_step(state.answers, step.id)
        return _render_step(request, questionnaire, state, previous or step)
    if not form.is_valid() or errors:
        return _render_step(request, questionnaire, state, step, form, status=400, upload_errors=errors,
                            returning=returning)
    # Every follow-up was on this page already (a condition only looks at earlier questions, and one
    # on this page is asked at once, forms.StepForm): no answer shows this page again.
    _merge(state, step, form)
    state.checked[step.id] = _checked_mac(questionnaire, state, step)
    if carried_over:  # the page that took over, whole, with every answer kept, before going on
        return _render_step(request, questionnaire, state, step)
    if returning and _first_incomplete_step(questionnaire, state) is None:
        return _render_review(request, questionnaire, state)
    following = questionnaire.next_step(state.answers, step.id)
    if following is None:
        return _render_review(request, questionnaire, state)
    return _render_step(request, questionnaire, state, following)


def _carry_over(questionnaire: Questionnaire, state: IntakeState) -> bool:
    """A form begun under an accepted earlier version goes on under this one (issue 19: a person in
    the middle of the form when the questionnaire changed loses nothing): its page becomes the step
    that took it over (the review stays the review). False if it cannot go on."""
    if state.version not in questionnaire.accepts_versions:
        return False
    if state.step != "review":
        step = questionnaire.step_formerly(state.step)
        if step is None:
            return False
        state.step = step.id
    state.version = questionnaire.version
    return True


def _visible_step(questionnaire: Questionnaire, state: IntakeState, action: str) -> Step | None:
    """The step «change» or a page's edit asks for (a step id of an accepted earlier version too)."""
    wanted = action.removeprefix("edit:")
    target = questionnaire.step(wanted) or questionnaire.step_formerly(wanted)
    return target if target is not None and target.visible(state.answers) else None


def _take_uploads(
    request: HttpRequest, handler: EncryptingUploadHandler, state: IntakeState, form: StepForm, kept: set[str]
) -> tuple[list[str], bool]:
    """Files uploaded with this page go into the state (and are kept, as this visit's own) if the
    page asks for files and there is room for them. Returns the messages, and whether a file was
    refused for want of room ("try again later") rather than for what it is."""
    kept.update(state.file_ids())
    uploads = [f for f in request.FILES.getlist("files") if isinstance(f, EncryptedUpload)]
    errors = list(handler.errors)
    if not form.attachment_questions:
        return errors, handler.busy
    question = form.attachment_questions[0]
    files = state.files.setdefault(question.id, [])
    room = max(question.max_files - len(files), 0)
    if len(uploads) > room:
        errors.append(_("Please attach at most %(n)d files here.") % {"n": question.max_files})
    received = [AttachedFile(id=u.upload_id, key=u.key, name=u.name or "file", type=u.kind, size=u.size or 0,
                              sha256=u.sha256)
                for u in uploads[:room]]
    recorded = services.unsent_uploads_keep(visit=state.visit, files=received) if received else None
    if recorded is not None:
        files.extend(recorded.kept)
        kept.update(f.id for f in recorded.kept)
        for name in recorded.over_form:
            errors.append(_(
                "“%(name)s” was not added: this form holds %(mb)d MB of files at most. Remove a file, or send "
                "this one later with your receipt."
            ) % {"name": name, "mb": settings.DEFENSOR_INTAKE_UNSENT_BYTES_PER_VISIT // (1024 * 1024)})
        for name in recorded.over_total:
            errors.append(_(
                "“%(name)s” was not added: files cannot be received right now. Please try again later, or send "
                "your request without it and add it later with your receipt."
            ) % {"name": name})
    if question.required and not files:
        errors.append(_("Please attach at least one file."))
    return errors, handler.busy or bool(recorded and recorded.over_total)


def _merge(state: IntakeState, step: Step, form: StepForm) -> None:
    for question in step.questions:
        if question.type != "attachment" and question.id not in form.errors:
            state.answers.pop(question.id, None)
    state.answers.update(form.answers())
    state.answers = dict(default_questionnaire().visible_answers(state.answers))


def _remove_files(state: IntakeState, ids: list[str]) -> None:
    """Remove files the person attached in this form — only this visit's own, never anyone else's
    (a forged state may name another visit's file: it leaves the state, the file stays)."""
    wanted = set()
    for raw in ids[:MAX_FILES_IN_STATE]:
        try:
            wanted.add(str(uuid.UUID(raw)))
        except ValueError:
            continue
    wanted &= state.file_ids()
    if not wanted:
        return
    for question_id, files in state.files.items():
        state.files[question_id] = [f for f in files if f.id not in wanted]
    services.unsent_uploads_remove(visit=state.visit, file_ids=wanted)


def _files_to_send(questionnaire: Questionnaire, state: IntakeState) -> list[AttachedFile]:
    visible = {q.id for s in questionnaire.visible_steps(state.answers) for q in s.questions
               if q.type == "attachment" and q.visible(state.answers)}
    return [f for question_id, files in state.files.items() if question_id in visible for f in files]


def _review_action(request: HttpRequest, questionnaire: Questionnaire, state: IntakeState, action: str) -> HttpResponse:
    if action.startswith("edit:"):
        target = _visible_step(questionnaire, state, action)
        if target is not None:
            return _render_step(request, questionnaire, state, target, returning=True)
    if action != "submit":
        return _render_review(request, questionnaire, state)
    digits = bool(request.POST.get("digits"))
    receipt = receipts.from_seed(receipts.seed_for_visit(state.visit, state.seed), language=_language(), digits=digits)
    # A form sent twice (a double tap, Send again after a lost answer) is not asked «already
    # received?» first: its second INSERT meets the first one's key (AlreadyReceived below), and a
    # refusal for any other reason looks first (_refused_but_received).
    incomplete = _first_incomplete_step(questionnaire, state)
    if incomplete is not None:
        step, form = incomplete
        return _render_step(request, questionnaire, state, step, form, status=400,
                            upload_errors=[_("Some required questions are not answered yet.")])
    try:
        services.check_capacity()
        services.submission_receive(
            questionnaire=questionnaire,
            answers=questionnaire.visible_answers(state.answers),
            files=_files_to_send(questionnaire, state),
            language=_language(),
            receipt=receipt,
            submission_id=uuid.UUID(state.visit),
            # Sent faster than a person could read the questions: kept, but a person looks first.
            # (The start is the server's, under its MAC: a forged one does not open, state.py.)
            held_for_review=time.time() - state.started < settings.DEFENSOR_INTAKE_HOLD_FASTER_THAN,
        )
    except services.AlreadyReceived:
        return _already_received(request, state, receipt)
    except services.FilesGone as error:
        lost = [f.name for f in state.all_files() if f.id in error.file_ids]
        state.files = {k: [f for f in v if f.id not in error.file_ids] for k, v in state.files.items()}
        return _render_review(request, questionnaire, state, status=400, message=_(
            "These files could not be kept and must be attached again: %(names)s."
        ) % {"names": ", ".join(lost)})
    except (services.IntakeBusy, services.IntakeClosed, DatabaseError, OSError) as error:
        if _refused_but_received(state):
            return _already_received(request, state, receipt)
        message = getattr(error, "user_message", services.IntakeBusy.user_message)
        return _try_later(_render_review(request, questionnaire, state, status=503, message=str(message)))
    return forget_visit(_receipt_page(request, receipt))


def _refused_but_received(state: IntakeState) -> bool:
    """A send refused (busy, closed, a database error) whose form was already received earlier: the
    person sees the receipt, not «try again»."""
    try:
        return services.visit_received(uuid.UUID(state.visit))
    except DatabaseError:
        return False


def _receipt_page(request: HttpRequest, receipt: str) -> HttpResponse:
    """intake/receipt.html for ``receipt``: made once per language and filled in (pages.py)."""
    return filled_page(request, "intake/receipt.html", {"receipt": conditional_escape(receipt)})


def _already_received(request: HttpRequest, state: IntakeState, receipt: str) -> HttpResponse:
    """The same form sent twice (a double tap): show the same receipt again if it is this one."""
    stored = Submission.objects.filter(pk=state.visit).values_list("receipt_digest", flat=True).first()
    if stored is not None and stored == receipts.digest(receipt):
        return forget_visit(_receipt_page(request, receipt))
    return forget_visit(render(request, "intake/already_received.html", status=409))


@require_POST
def saved_view(request: HttpRequest) -> HttpResponse:
    """The person confirms the receipt is written down (it is shown again until they do)."""
    receipt = request.POST.get("receipt", "")[:300]
    if not request.POST.get("saved"):
        return render(request, "intake/receipt.html", {"receipt": receipt, "not_confirmed": True}, status=400)
    response = render(request, "intake/thanks.html")
    # Leave as little as possible on a device that may be checked.
    response["Clear-Site-Data"] = '"cache", "cookies"'
    return response


# --- coming back with the receipt ------------------------------------------------------------


# Typed back without showing it: someone looking over the shoulder, or a screen recorded, does not
# get the phrase. "Show what I typed" is a second submit (no JavaScript), which shows it as text.
_RECEIPT_ATTRS = {"autocomplete": "off", "autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=gettext_lazy("Your receipt phrase"), max_length=300,
        widget=forms.PasswordInput(attrs=_RECEIPT_ATTRS, render_value=True),
    )

    def __init__(self, *args: Any, shown: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if shown:
            self.fields["receipt"].widget = forms.TextInput(attrs=_RECEIPT_ATTRS)


class MessageForm(forms.Form):
    receipt = forms.CharField(widget=forms.HiddenInput, max_length=300)
    text = forms.CharField(
        label=gettext_lazy("Your message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )


class WithdrawForm(forms.Form):
    receipt = forms.CharField(widget=forms.HiddenInput, max_length=300)
    confirm = forms.BooleanField(label=gettext_lazy("Yes, erase my request and everything I sent"))


def _not_found(request: HttpRequest, receipt: str = "") -> HttpResponse:
    shown = bool(request.POST.get("shown"))
    form = ReceiptForm({"receipt": receipt[:300]}, shown=shown)
    form.is_valid()
    form.add_error(
        "receipt", _("We found no request with this receipt phrase. Check the words (or digits) and try again.")
    )
    return _receipt_form(request, form, status=400, shown=shown)


def _receipt_form(request: HttpRequest, form: ReceiptForm, *, status: int = 200, shown: bool = False) -> HttpResponse:
    return render(request, "intake/receipt_form.html",
                  {"form": form, "shown": shown, "show_language_switch": True}, status=status)


def _status(request: HttpRequest, submission: Any, receipt: str, *, status: int = 200, **forms_: Any) -> HttpResponse:
    context = {
        "progress": selectors.receipt_progress(submission=submission),
        "busy": status == 503,
        "messages_shown": services.receipt_messages(submission=submission, receipt=receipt),
        "message_form": forms_.get("message_form") or MessageForm(initial={"receipt": receipt}),
        "withdraw_form": forms_.get("withdraw_form") or WithdrawForm(initial={"receipt": receipt}),
        "sent": forms_.get("sent", False),
    }
    return render(request, "intake/status.html", context, status=status)


@require_http_methods(["GET", "POST"])
def receipt_view(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "open")
    shown = action == "show" or (action != "hide" and bool(request.POST.get("shown")))
    if action in {"show", "hide"}:  # only the field shown or hidden again, with what was typed
        form = ReceiptForm(initial={"receipt": request.POST.get("receipt", "")[:300]}, shown=shown)
        return _receipt_form(request, form, shown=shown)
    form = ReceiptForm(request.POST or None, shown=shown)
    if request.method == "GET" or not form.is_valid():
        return _receipt_form(request, form, status=400 if form.errors else 200, shown=shown)
    receipt = form.cleaned_data["receipt"]
    submission = services.submission_by_receipt(receipt)
    if submission is None:
        return _not_found(request, receipt)
    return _status(request, submission, receipt)


@require_POST
@with_encrypted_uploads(unsent=False)
def receipt_message_view(request: HttpRequest, handler: EncryptingUploadHandler, kept: set[str]) -> HttpResponse:
    form = MessageForm(request.POST)
    receipt = request.POST.get("receipt", "")
    uploads = [f for f in request.FILES.getlist("files") if isinstance(f, EncryptedUpload)]
    submission = services.submission_by_receipt(receipt)
    if submission is None:
        return _not_found(request, receipt)
    valid = form.is_valid()
    for error in handler.errors:
        form.add_error(None, error)
    if uploads and submission.attachments.count() + len(uploads) > settings.DEFENSOR_INTAKE_MAX_LATER_FILES:
        form.add_error(None, _("No more files can be added to this request. Please write a new one."))
    if handler.busy:  # no room for files now: the message typed stays in the page
        return _try_later(_status(request, submission, receipt, status=503, message_form=form))
    if not valid or form.errors:
        return _status(request, submission, receipt, status=400, message_form=form)
    files = [AttachedFile(id=u.upload_id, key=u.key, name=u.name or "file", type=u.kind, size=u.size or 0,
                           sha256=u.sha256)
             for u in uploads]
    try:
        services.check_disk()
        services.submitter_message_add(submission=submission, text=form.cleaned_data["text"], files=files)
    except services.Withdrawn:
        return render(request, "intake/withdrawn.html")
    except services.DiskLow as error:
        form.add_error(None, str(error.user_message))
        return _try_later(_status(request, submission, receipt, status=503, message_form=form))
    kept.update(f.id for f in files)
    return _status(request, submission, receipt, sent=True)


@require_POST
def receipt_withdraw_view(request: HttpRequest) -> HttpResponse:
    form = WithdrawForm(request.POST)
    receipt = request.POST.get("receipt", "")
    submission = services.submission_by_receipt(receipt)
    if submission is None:
        # Only the status page posts here, with a receipt that worked: a second click after
        # the erasure lands here, and the answer is the same.
        return render(request, "intake/withdrawn.html")
    if not form.is_valid():
        return _status(request, submission, receipt, status=400, withdraw_form=form)
    services.submission_withdraw(submission=submission)
    return render(request, "intake/withdrawn.html")
