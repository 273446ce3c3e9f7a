"""Document pages: choose a template for a case (what it needs and what is missing shown first),
follow its writing, download it; administrators' templates page. A case the user does not hold
is 404 here as everywhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from defensor.accounts.permissions import Perm, acting_user, staff_view
from defensor.accounts.views import account_page
from defensor.cases.selectors import case_for
from defensor.cases.services import case_read
from defensor.core.errors import DefensorError
from defensor.core.middleware import csrf_protect
from defensor.documents import services
from defensor.documents.account import PROFILE_SECTION, PowerOfAttorneyForm
from defensor.documents.authority import (
    Coverage,
    NoAuthority,
    authority_text,
    covering,
    power_of_attorney_add,
    power_of_attorney_revoke,
)
from defensor.documents.catalogue import TemplateInfo, builtin_templates, document_titles, templates_for
from defensor.documents.context import (
    appeal_period,
    document_snapshot,
    missing_data,
    needed_labels,
    parse_amount,
    parse_date,
)
from defensor.documents.forms import DocumentProfileForm
from defensor.documents.models import DocumentStatus, DocumentTemplate, GeneratedDocument, PowerOfAttorney
from defensor.documents.poa_people import case_claimants, people_chooser
from defensor.documents.render import pdf_converter
from defensor.documents.sample import sample_snapshot
from defensor.keys.keyring import keyring_for
from defensor.people.services import people_read

SLOW_MINUTES = 10  # a document still waiting after this long: the worker may have stopped
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _language() -> str:
    return get_language() or "ru"


class DocumentForm(forms.Form):
    """The template's own inputs, and whether withdrawn claimants go in too."""

    include_withdrawn = forms.BooleanField(
        label=gettext_lazy("Include claimants who withdrew or were dismissed from the claim"), required=False)

    def __init__(
        self, *args: object, template: TemplateInfo, group: bool,
        filing_ended: Callable[[bool], list[dict[str, Any]]] | None = None, **kwargs: object,
    ) -> None:
        """``filing_ended``: for a claim with a period for going to court, the claimants (with or
        without the withdrawn ones) for whom it has ended (documents.context.filing_period)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        language = _language()
        self.template = template
        self.filing_ended = filing_ended
        for field in template.inputs:
            widget: forms.Widget = forms.TextInput()
            if field.kind == "multiline":
                widget = forms.Textarea(attrs={"rows": 4})
            elif field.kind == "date":  # a date picker; typed ДД.ММ.ГГГГ is taken too (parse_date)
                widget = forms.DateInput(attrs={"type": "date"})
            self.fields[f"input_{field.name}"] = forms.CharField(
                label=field.label(language), required=field.required, max_length=5000, widget=widget,
                help_text=_("A sum in roubles, e.g. 123456.78") if field.kind == "amount" else "",
            )
        self.amounts = {f"input_{f.name}" for f in template.inputs if f.kind == "amount"}
        self.dates = {f"input_{f.name}" for f in template.inputs if f.kind == "date"}
        if not group:
            del self.fields["include_withdrawn"]
        if template.powers:  # without a power of attorney that covers it, the claimants sign it
            self.fields["signed_by_claimants"] = forms.BooleanField(
                label=_("The claimants will sign it themselves"), required=False,
                help_text=_("The document then ends with a signature line for each claimant instead of the "
                            "representative's signature under a power of attorney; a collective claim is signed "
                            "by the person entrusted with the case."))

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        for name in self.amounts:
            value = str(cleaned.get(name) or "")
            try:
                parse_amount(value)
            except ValueError:
                self.add_error(name, _("Enter a sum in roubles, e.g. 123456.78"))
        today = timezone.localdate()
        for name in self.dates:
            try:
                day = parse_date(str(cleaned.get(name) or ""))
            except ValueError:
                self.add_error(name, _("Enter a date as DD.MM.YYYY, e.g. 20.10.2026."))
                continue
            if day is not None and day > today:
                self.add_error(name, _("This date has not come yet."))
            elif day is not None:
                cleaned[name] = day.isoformat()
        self._period_check(cleaned, today)
        self._filing_period_check(cleaned)
        return cleaned

    def _filing_period_check(self, cleaned: dict[str, object]) -> None:
        """A claim whose period for going to court has ended for some claimant asks the court to restore
        it, and says why it was missed: refused without the reasons, naming whose period ended on which day."""
        reasons = "input_period_reasons"
        if (not self.template.filing_rule or self.filing_ended is None or reasons not in self.fields
                or str(cleaned.get(reasons) or "").strip()):
            return
        ended = self.filing_ended(bool(cleaned.get("include_withdrawn")))
        if not ended:
            return
        whom = "; ".join(
            (_("%(name)s on %(day)s (the order's date is approximate: counted from the earliest day it can be)")
             if claimant["approximate"] else _("%(name)s on %(day)s"))
            % {"name": claimant["initials"] or claimant["name"], "day": claimant["ends_short"]}
            for claimant in ended
        )
        self.add_error(reasons, _("The period for going to court, counted from the dismissal order, ended for "
                                  "%(whom)s. The claim asks the court to restore it: give the reasons it was missed "
                                  "(e.g. the copy of the order was handed over late).") % {"whom": whom})

    def _period_check(self, cleaned: dict[str, object], today: date) -> None:
        """An appeal whose period is over, or not known to hold, goes with a motion to restore it:
        refused without the reasons for it, saying which period ended on which day."""
        reasons = "input_restore_reasons"
        if not self.template.period_rule or reasons not in self.fields or str(cleaned.get(reasons) or "").strip():
            return
        if self.has_error("input_final_form_date"):
            return
        final_form = str(cleaned.get("input_final_form_date") or "")
        period = appeal_period(self.template.period_rule, date.fromisoformat(final_form) if final_form else None,
                               today)
        if not period["motion"]:
            return
        if period["known"]:
            message = _("The period for the appeal (one month from the decision in final form) ended on "
                        "%(day)s: the appeal goes with a motion to restore it. Give the reasons it was missed "
                        "(e.g. the copy of the decision came late).") % {"day": period["ends_short"]}
        else:
            message = _("The date the decision was made in final form is not given, so the appeal cannot say "
                        "its period holds: it goes with a motion to restore the period. Enter the date, or give "
                        "the reasons the period was missed.")
        self.add_error(reasons, message)

    def inputs(self) -> dict[str, str]:
        return {name.removeprefix("input_"): str(value or "") for name, value in self.cleaned_data.items()
                if name.startswith("input_")}


@staff_view(Perm.DOCUMENTS_GENERATE)
@require_http_methods(["GET", "POST"])
def document_new_view(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    keyring = keyring_for(request)
    language = _language()
    available = templates_for(actor.membership.organisation)
    suited = [t for t in available if not t.kinds or case.kind in t.kinds]
    key = request.POST.get("template") or request.GET.get("template")
    template = next((t for t in available if t.key == key), None) if key else None
    context: dict[str, object] = {
        "case": case, "suited": [(t, t.title(language)) for t in suited],
        "others": [(t, t.title(language)) for t in available if t not in suited],
        "template": template, "keys_locked": keyring is None, "pdf_available": pdf_converter() is not None,
    }
    if template is None or keyring is None:
        return render(request, "documents/new.html", context, status=400 if request.method == "POST" else 200)
    form = DocumentForm(request.POST or None, template=template, group=case.group, filing_ended=lambda withdrawn: (
        document_snapshot(case=case, keyring=keyring, representative=actor, include_withdrawn=withdrawn, inputs={},
                          template=template)[0]["filing_period"]["claimants"]))
    status = 200
    refused: services.MissingData | None = None
    if request.method == "POST" and form.is_valid():
        try:
            document = services.document_request(
                case=case, requested_by=actor, keyring=keyring, template=template, inputs=form.inputs(),
                include_withdrawn=bool(form.cleaned_data.get("include_withdrawn")),
                signed_by_claimants=bool(form.cleaned_data.get("signed_by_claimants")),
            )
        except services.MissingData as error:
            status, refused = 400, error
        except NoAuthority:
            status = 400  # the page says why, as it did before the request
        else:
            return redirect("staff:document", case_id=case.pk, document_id=document.pk)
    elif request.method == "POST":
        status = 400
    # Ticked, the power of attorney is no reason to refuse: the banner about it would hide the real one.
    signed = "signed_by_claimants" in form.fields and bool(getattr(form, "cleaned_data", {}).get("signed_by_claimants"))
    # What is missing, shown before anything is generated (and again if someone asked anyway:
    # then as the refusal found it, not gathered and declined a second time).
    coverage: Coverage | None = None
    if refused is not None:
        missing, claimants_count, people = refused.missing, refused.claimants_count, refused.people
    else:
        snapshot, people = document_snapshot(case=case, keyring=keyring, representative=actor,
                                             include_withdrawn=bool(request.POST.get("include_withdrawn")),
                                             inputs={}, template=template)
        missing, claimants_count = missing_data(snapshot, template), snapshot["claimants_count"]
        # Which power of attorney will be used, or why none can be (before anything is generated).
        coverage = covering(user=actor, template=template, claimants=snapshot["claimants"])
        if coverage.required and coverage.ok and not form.is_bound and "input_authority" in form.fields:
            form.initial["input_authority"] = authority_text(coverage.used, keyring)  # editable
    with transaction.atomic():  # the page names claimants (those lacking data): an audited read
        case_read(reader=actor, case=case, where="document")
        people_read(reader=actor, people=people, where="document")
    # The missing list links to the person's record; saving there comes back to this form (a local
    # path and the template's key: nothing personal in the address).
    back = urlencode({"next": f"{request.path}?{urlencode({'template': template.key})}"})
    missing = [replace(item, url=f"{item.url}?{back}") if item.url else item
               for item in dict.fromkeys(missing)]  # a date asked in figures and in words: listed once
    context.update({"form": form, "title": template.title(language), "missing": missing,
                    "needs": needed_labels(template), "claimants_count": claimants_count,
                    "coverage": coverage, "signed_by_claimants": signed,
                    "no_authority": coverage is not None and coverage.required and not coverage.ok and not signed,
                    "refused": request.method == "POST" and status == 400,
                    "authority": authority_text(coverage.used, keyring)
                    if coverage is not None and coverage.required and coverage.ok else ""})
    return render(request, "documents/new.html", context, status=status)


def _document(
    request: HttpRequest, case_id: int, document_id: int, *, files: bool = False,
) -> tuple[GeneratedDocument, bool]:
    """The document and whether it has a PDF; its sealed fields loaded only for a download
    (``files``): the document page refreshes every 2 s while it is written, and needs none."""
    case = case_for(actor=acting_user(request), case_id=case_id)
    documents = GeneratedDocument.objects.filter(case=case, pk=document_id).select_related(
        "case__data_key", "requested_by").annotate(
        has_pdf=ExpressionWrapper(Q(pdf__isnull=False), output_field=BooleanField()))
    document = (documents.defer("envelope") if files else
                documents.defer("snapshot", "docx", "pdf", "envelope")).first()
    if document is None:
        raise Http404
    return document, bool(document.has_pdf)


def _title(document: GeneratedDocument) -> str:
    return document_titles([document], language=_language())[document.pk]


@staff_view(Perm.CASES_WORK)
@require_GET
def document_view(request: HttpRequest, case_id: int, document_id: int) -> HttpResponse:
    document, has_pdf = _document(request, case_id, document_id)
    pending = document.status == DocumentStatus.QUEUED
    slow = pending and document.requested_at < timezone.now() - timedelta(minutes=SLOW_MINUTES)
    return render(request, "documents/document.html", {
        "document": document, "case": document.case, "title": _title(document), "pending": pending, "slow": slow,
        "has_pdf": has_pdf, "pdf_available": pdf_converter() is not None,
    })


def _download(request: HttpRequest, case_id: int, document_id: int, kind: str) -> HttpResponse:
    document, has_pdf = _document(request, case_id, document_id, files=True)
    keyring = keyring_for(request)
    back = redirect("staff:document", case_id=case_id, document_id=document_id)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return back
    if document.status != DocumentStatus.DONE or (kind == "pdf" and not has_pdf):
        messages.error(request, _("This document has no such file."))
        return back
    content = services.document_read(document=document, reader=acting_user(request), keyring=keyring, kind=kind)
    name = f"{slugify(document.case.number) or 'case'}-{document.template_key.split(':', 1)[1]}-{document.pk}.{kind}"
    response = HttpResponse(content, content_type=DOCX_TYPE if kind == "docx" else "application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name) or ""
    return response


@staff_view(Perm.CASES_WORK)
@require_GET
def document_docx_view(request: HttpRequest, case_id: int, document_id: int) -> HttpResponse:
    return _download(request, case_id, document_id, "docx")


@staff_view(Perm.CASES_WORK)
@require_GET
def document_pdf_view(request: HttpRequest, case_id: int, document_id: int) -> HttpResponse:
    return _download(request, case_id, document_id, "pdf")


class TemplateUploadHandler(FileUploadHandler):
    """A template is read into memory (never a temp file), at most one byte over the limit, so the
    size check can say it is too large."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = bytearray()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = services.MAX_TEMPLATE_BYTES + 1 - len(self.buffer)
        if room > 0:
            self.buffer += raw_data[:room]

    def file_complete(self, file_size: int) -> SimpleUploadedFile:
        return SimpleUploadedFile(self.file_name or "template.docx", bytes(self.buffer),
                                  content_type=self.content_type or "application/octet-stream")


def _template_uploads(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Files are refused everywhere by default: this page takes one template, in memory. The
    handler must be in place before the body is read, so CSRF is checked after it."""
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        request.upload_handlers = [TemplateUploadHandler(request)]
        return protected(request)

    return wrapper


class TemplateUploadForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    slug = forms.SlugField(label=gettext_lazy("Short name (a new upload under the same name is a new version)"),
                           max_length=64, required=False)
    file = forms.FileField(label=gettext_lazy("DOCX file"))


@staff_view(Perm.TEMPLATES_MANAGE)
@_template_uploads
@require_http_methods(["GET", "POST"])
def templates_view(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = TemplateUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            slug = form.cleaned_data["slug"] or slugify(form.cleaned_data["title"]) or "template"
            try:
                template = services.template_upload(uploaded_by=actor, slug=slug, title=form.cleaned_data["title"],
                                                    content=upload.read(services.MAX_TEMPLATE_BYTES + 1))
            except services.TemplateRejected as error:
                form.add_error("file", str(error.user_message))
            else:
                messages.success(request, _("Template “%(title)s” saved as version %(version)d.") % {
                    "title": template.title, "version": template.version})
                return redirect("staff:templates")
    organisation = actor.membership.organisation
    language = _language()
    uploads = DocumentTemplate.objects.filter(organisation=organisation).select_related("uploaded_by").defer(
        "content").order_by("slug", "-version")
    return render(request, "documents/templates.html", {
        "form": form, "builtin": [(t, t.title(language)) for t in builtin_templates()], "uploads": uploads,
        "names": template_names(),
    }, status=status)


def template_names() -> list[str]:
    """What a template can print, read off the sample data (the same shape as a case's): the
    list cannot fall behind what documents are filled with."""
    sample = sample_snapshot()
    names = []
    for key, value in sample.items():
        if key == "claimants":
            names.append(f"claimants (c.{', c.'.join(value[0])})")
        elif key == "claimant":
            names.append("claimant (claimants[0])")
        elif key == "inputs":
            names.append("inputs (the template's own fields)")
        elif isinstance(value, dict):
            names.extend(f"{key}.{name}" for name in value)
        else:
            names.append(key)
    return sorted(names)


@staff_view(Perm.TEMPLATES_MANAGE)
@require_POST
def template_retire_view(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = acting_user(request)
    template = DocumentTemplate.objects.filter(organisation=actor.membership.organisation, pk=template_id).first()
    if template is None:
        raise Http404
    services.template_retire(template=template, retired_by=actor)
    messages.success(request, _("The template is no longer offered."))
    return redirect("staff:templates")


# --- the account page's documents card (documents/account.py) -------------------------------------


@staff_view(Perm.DOCUMENTS_GENERATE)
@require_POST
def account_documents_view(request: HttpRequest) -> HttpResponse:
    """How the documents the user generates name them as representative."""
    user = acting_user(request)
    form = DocumentProfileForm(request.POST)
    if not form.is_valid():
        return account_page(request, refused={PROFILE_SECTION.key: form}, status=400)
    try:
        changed = services.document_profile_set(
            user=user, name=form.cleaned_data["name"], credentials=form.cleaned_data["credentials"],
            contacts=form.cleaned_data["contacts"],
        )
    except DefensorError as error:
        form.add_error(None, str(error.user_message))
        return account_page(request, refused={PROFILE_SECTION.key: form}, status=400)
    messages.success(request, _("Saved. Documents you make from now on name you this way.") if changed
                     else _("Nothing to change: documents already name you this way."))
    return redirect("staff:account")


def _ids(values: list[str]) -> set[int]:
    return {int(value) for value in values if value.isdigit() and len(value) < 12}


@staff_view(Perm.DOCUMENTS_GENERATE)
@require_http_methods(["GET", "POST"])
def account_poa_add_view(request: HttpRequest) -> HttpResponse:
    """Record a power of attorney the user holds (general, or for persons the user can read).

    One form: its "Show" button narrows the list of persons (to a case, to a name) and "Tick all"
    ticks a case's claimants, re-showing the page with everything typed and ticked kept; only "Add"
    records it. ``?case=`` (from a case's documents page) narrows to that case, its claimants ticked.
    The name typed to find someone is posted, never put into the address."""
    user = acting_user(request)
    keyring = keyring_for(request)
    posted = request.method == "POST"
    case_id = min(_ids([(request.POST if posted else request.GET).get("case", "")]), default=None)
    ticked = _ids(request.POST.getlist("people")) if posted else set()
    action = "add"
    if posted and "tick_case" in request.POST:
        action = "tick"
        for pk in _ids([request.POST.get("tick_case", "")]):
            ticked |= case_claimants(user=user, case_id=pk)
    elif posted and "show" in request.POST:
        action = "show"
    elif not posted and case_id is not None:
        ticked = case_claimants(user=user, case_id=case_id)
    if posted and action == "add":
        form = PowerOfAttorneyForm(request.POST)
    else:  # a first view, or the list re-shown: what was typed is kept, nothing is judged yet
        form = PowerOfAttorneyForm(initial={name: request.POST.getlist(name) if name == "powers" else
                                            request.POST.get(name) for name in PowerOfAttorneyForm.base_fields
                                            if name in request.POST})
    status = 200
    if keyring is None:
        return render(request, "documents/power_of_attorney_new.html", {"form": form, "keys_locked": True},
                      status=400 if posted else 200)
    if action == "add" and posted:
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                power_of_attorney_add(user=user, keyring=keyring, number=data["number"], issued_on=data["issued_on"],
                                      issuer=data["issuer"], valid_until=data["valid_until"],
                                      general=data["general"], people=sorted(ticked), powers=data["powers"])
            except DefensorError as error:
                form.add_error(None, str(error.user_message))
            else:
                messages.success(request,
                                 _("The power of attorney is recorded: documents it covers are signed under it."))
                return redirect("staff:account")
    chooser = people_chooser(user=user, keyring=keyring, ticked=ticked, case_id=case_id,
                             term=request.POST.get("q", "") if posted else "")
    return render(request, "documents/power_of_attorney_new.html", {
        "form": form, "keys_locked": False, "chooser": chooser,
    }, status=status)


@staff_view(Perm.DOCUMENTS_GENERATE)
@require_POST
def account_poa_revoke_view(request: HttpRequest) -> HttpResponse:
    """Revoke one of the user's powers of attorney (its id in the form)."""
    user = acting_user(request)
    poa_id = request.POST.get("power_of_attorney", "")
    if not poa_id.isdigit():
        return HttpResponse(_("The form was not sent. Nothing was changed."), status=400, content_type="text/plain")
    poa = PowerOfAttorney.objects.filter(representative=user, pk=int(poa_id)).first()
    if poa is None:  # someone else's is no more there than one that never was
        raise Http404
    power_of_attorney_revoke(poa=poa, revoked_by=user)
    messages.success(request, _("The power of attorney is revoked: no document will be signed under it."))
    return redirect("staff:account")
