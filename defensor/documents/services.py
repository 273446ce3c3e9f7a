"""Writes of the documents app: asking for a document (its data gathered and sealed in the
request, the writing handed to the background worker in an envelope only it can open; the
writing itself is in writing.py), reading it back, and the templates administrators upload.
Every write audited."""

from __future__ import annotations

import base64
import io
import json
import zipfile

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.access.services import record_sealer, require_record_access
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case
from defensor.core.errors import DefensorError, InvalidOperation
from defensor.core.grammar import normalise
from defensor.documents.authority import NoAuthority, authority_values, covering
from defensor.documents.catalogue import CONTEXT_NAMES, TemplateInfo, needs_of_source, template_source
from defensor.documents.context import Missing, document_snapshot, missing_data
from defensor.documents.models import DocumentTemplate, GeneratedDocument
from defensor.documents.render import RenderFailed, render_docx
from defensor.documents.tasks import document_generate
from defensor.documents.writing import Work, document_write
from defensor.keys.keyring import KeyRing
from defensor.keys.records import RecordSealer
from defensor.keys.worker import envelope_seal_record, live_worker_keys
from defensor.people.services import people_read

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
MAX_TEMPLATE_UNPACKED_BYTES = 50 * 1024 * 1024


class MissingData(DefensorError):
    user_message = _("Some data the template needs is missing.")

    def __init__(self, missing: list[Missing], *, claimants_count: int, people: list[int]) -> None:
        super().__init__()  # no message: what is missing names claimants, and stays in the request
        self.missing = missing
        self.claimants_count = claimants_count
        self.people = people  # the person records read (the page that lists what is missing audits them)


class DocumentProfileTooLong(InvalidOperation):
    user_message = _("The full name can be at most 200 characters long, the status and credentials 300, "
                     "the address and contacts 1000.")


class TemplateRejected(DefensorError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.user_message = reason


def document_request(
    *, case: Case, requested_by: User, keyring: KeyRing, template: TemplateInfo, inputs: dict[str, str],
    include_withdrawn: bool = False, signed_by_claimants: bool = False,
) -> GeneratedDocument:
    """Gather the case's data for the template and hand the writing to the background worker (the
    request returns at once). Without a running worker, it is written here, after the request's
    transaction: filling a template (and LibreOffice) never holds the database's write lock."""
    with transaction.atomic():
        document, sealer, work = _document_asked(case=case, requested_by=requested_by, keyring=keyring,
                                                 template=template, inputs=inputs,
                                                 include_withdrawn=include_withdrawn,
                                                 signed_by_claimants=signed_by_claimants)
    if not document.envelope:
        document_write(document=document, sealer=sealer, work=work)
    return document


def _document_asked(
    *, case: Case, requested_by: User, keyring: KeyRing, template: TemplateInfo, inputs: dict[str, str],
    include_withdrawn: bool, signed_by_claimants: bool,
) -> tuple[GeneratedDocument, RecordSealer, Work]:
    require_permission(requested_by, Perm.DOCUMENTS_GENERATE)
    require_record_access(user=requested_by, material=case.data_key)
    snapshot, people = document_snapshot(case=case, keyring=keyring, representative=requested_by,
                                         include_withdrawn=include_withdrawn, inputs=inputs, template=template)
    missing = missing_data(snapshot, template)
    if snapshot["appeal_period"]["motion"] and not str(snapshot["inputs"].get("restore_reasons") or "").strip():
        # The form refuses this first; a request made otherwise is refused here, never drafted with
        # a motion to restore the period that gives no reason for it.
        missing.append(Missing(str(_("the reasons the appeal period was missed")), str(_("the form below"))))
    if snapshot["filing_period"]["missed"] and not str(snapshot["inputs"].get("period_reasons") or "").strip():
        # Likewise a claim asking to restore its period for going to court, for whomever it ended.
        for ended in snapshot["filing_period"]["claimants"]:
            missing.append(Missing(
                str(_("the reasons the period for going to court was missed: %(name)s (it ended on %(day)s)"))
                % {"name": ended["initials"] or ended["name"], "day": ended["ends_short"]}, str(_("the form below"))))
    if missing:
        raise MissingData(missing, claimants_count=snapshot["claimants_count"], people=people)
    # The special powers the template takes: a valid power of attorney covering every claimant,
    # or the claimants sign it themselves (the lawyer's choice, carried in the context).
    coverage = covering(user=requested_by, template=template, claimants=snapshot["claimants"])
    if not coverage.ok and not signed_by_claimants:
        raise NoAuthority(coverage)
    snapshot.update(authority_values(coverage, keyring, signed_by_claimants=signed_by_claimants))
    sealer = record_sealer(material=case.data_key, keyring=keyring)
    document = GeneratedDocument(case=case, template_key=template.key, template_version=template.version,
                                 include_withdrawn=include_withdrawn, claimants_count=len(snapshot["claimants"]),
                                 requested_by=requested_by)
    document.encrypt(sealer, snapshot=json.dumps(snapshot, ensure_ascii=False))
    work = Work(template_key=template.key, upload_id=template.upload_id, snapshot=snapshot)
    workers = live_worker_keys()
    if workers:
        document.envelope = envelope_seal_record(sealer, work.encode(), workers)
    document.save()
    people_read(reader=requested_by, people=people, where="document")
    log_action(action="document.requested", actor=requested_by, target=case, details={
        "document": document.pk, "template": template.key, "version": template.version,
        "powers_of_attorney": [] if signed_by_claimants else [poa.pk for poa in coverage.used],
        "signed_by_claimants": signed_by_claimants,
        "claimants": len(snapshot["claimants"]), "include_withdrawn": include_withdrawn,
        "background": bool(workers),
    })
    if workers:
        pk = document.pk
        transaction.on_commit(lambda: document_generate.enqueue(pk))
    return document, sealer, work


@transaction.atomic
def document_read(*, document: GeneratedDocument, reader: User, keyring: KeyRing, kind: str) -> bytes:
    """The file (``docx`` or ``pdf``), for a download: audited."""
    require_permission(reader, Perm.CASES_WORK)
    require_record_access(user=reader, material=document.case.data_key)
    value = document.decrypt(keyring)[kind]
    if not value:
        raise DefensorError()
    log_action(action="document.downloaded", actor=reader, target=document.case,
               details={"document": document.pk, "kind": kind})
    return base64.b64decode(value)


# --- how documents name the representative ------------------------------------------------------

# A field of the profile → (User field, longest text).
_DOCUMENT_PROFILE = {
    "name": ("document_name", 200),
    "credentials": ("document_credentials", 300),
    "contacts": ("document_contacts", 1000),
}


@transaction.atomic
def document_profile_set(*, user: User, name: str, credentials: str, contacts: str) -> list[str]:
    """How the documents the user generates name them as representative: full name, status and
    credentials, address for correspondence. Returns the fields that changed (the audit log
    records which, never the text)."""
    require_permission(user, Perm.DOCUMENTS_GENERATE)
    typed = {
        "name": " ".join(name.split()) if normalise(name) else "",  # "-" is no name to decline
        "credentials": " ".join(credentials.split()),
        "contacts": "\n".join(line.strip() for line in contacts.splitlines() if line.strip()),
    }
    if any(len(typed[field]) > longest for field, (_column, longest) in _DOCUMENT_PROFILE.items()):
        raise DocumentProfileTooLong()
    locked = User.objects.select_for_update().get(pk=user.pk)
    changed = [field for field, (column, _max) in _DOCUMENT_PROFILE.items() if getattr(locked, column) != typed[field]]
    if not changed:
        return []
    for field in changed:
        column = _DOCUMENT_PROFILE[field][0]
        setattr(locked, column, typed[field])
        setattr(user, column, typed[field])
    locked.save(update_fields=[_DOCUMENT_PROFILE[field][0] for field in changed])
    log_action(action="account.document_profile_set", actor=user, target=user, details={"fields": changed})
    return changed


# --- uploaded templates --------------------------------------------------------------------------


def template_check(content: bytes) -> list[str]:
    """Why a DOCX cannot be a template (an empty list: it can). Filled with sample data, as a
    case's would be: a misspelt name or a broken tag is found now, not in a court document."""
    from defensor.documents.sample import sample_snapshot

    if len(content) > MAX_TEMPLATE_BYTES:
        return [str(_("The file is larger than 5 MB."))]
    if not zipfile.is_zipfile(io.BytesIO(content)):
        return [str(_("This is not a DOCX file (save it from Word as .docx)."))]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        if sum(item.file_size for item in archive.infolist()) > MAX_TEMPLATE_UNPACKED_BYTES:
            return [str(_("The file unpacks to more than 50 MB: it is not a plain template."))]
        body = archive.read("word/document.xml") if "word/document.xml" in names else b""
    if "word/comments.xml" in names or b"<w:ins " in body or b"<w:del " in body:
        # They would be copied into every document (a reused real claim would carry its names).
        return [str(_("The template has comments or tracked changes: accept or reject them all and delete "
                      "the comments, then upload it again."))]
    try:
        source = template_source(content)
        from docxtpl import DocxTemplate

        used = DocxTemplate(io.BytesIO(content)).get_undeclared_template_variables()
    except Exception as error:
        return [str(_("The template cannot be read: %(reason)s")) % {"reason": type(error).__name__}]
    unknown = sorted(set(used) - CONTEXT_NAMES)
    if unknown:
        return [str(_("Unknown names in the template: %(names)s. Known: %(known)s.")) % {
            "names": ", ".join(unknown), "known": ", ".join(sorted(CONTEXT_NAMES))}]
    try:
        render_docx(content, sample_snapshot())
    except RenderFailed as error:
        return [str(_("The template does not fill in: %(reason)s")) % {"reason": error.reason}]
    if "{{" not in source and "{%" not in source:
        return [str(_("The template has no placeholders: it would be the same document for every case."))]
    return []


@transaction.atomic
def template_upload(*, uploaded_by: User, slug: str, title: str, content: bytes) -> DocumentTemplate:
    require_permission(uploaded_by, Perm.TEMPLATES_MANAGE)
    problems = template_check(content)
    if problems:
        raise TemplateRejected(" ".join(problems))
    organisation = uploaded_by.membership.organisation
    latest = DocumentTemplate.objects.filter(organisation=organisation, slug=slug).aggregate(v=Max("version"))["v"]
    try:
        with transaction.atomic():
            template = DocumentTemplate.objects.create(
                organisation=organisation, slug=slug, version=(latest or 0) + 1, title=title.strip(),
                content=content, uses=needs_of_source(template_source(content)), uploaded_by=uploaded_by,
            )
    except IntegrityError:  # a colleague uploaded the same short name at the same moment
        raise TemplateRejected(str(_("Someone uploaded a template under this short name just now: "
                                     "upload it again."))) from None
    log_action(action="template.uploaded", actor=uploaded_by, target=template,
               details={"slug": slug, "version": template.version})
    return template


@transaction.atomic
def template_retire(*, template: DocumentTemplate, retired_by: User) -> None:
    """No longer offered (documents made from it keep naming its version)."""
    require_permission(retired_by, Perm.TEMPLATES_MANAGE)
    DocumentTemplate.objects.filter(organisation=template.organisation, slug=template.slug,
                                    retired_at__isnull=True).update(retired_at=timezone.now())
    log_action(action="template.retired", actor=retired_by, target=template, details={"slug": template.slug})
