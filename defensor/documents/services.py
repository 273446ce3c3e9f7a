"""Writes of the documents app: asking for a document (its data gathered and sealed in the
request, the writing handed to the background worker in an envelope only it can open), writing
it, reading it back, and the templates administrators upload. Every write audited."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.access.services import record_sealer, require_record_access
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case
from defensor.core.errors import DefensorError
from defensor.documents.catalogue import CONTEXT_NAMES, TemplateInfo, needs_of_source, template_source
from defensor.documents.context import Missing, document_snapshot, missing_data
from defensor.documents.models import DocumentStatus, DocumentTemplate, GeneratedDocument
from defensor.documents.render import RenderFailed, pdf_from_docx, render_docx
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyMaterial
from defensor.keys.records import RecordSealer
from defensor.keys.worker import (
    EnvelopeForOtherKey,
    EnvelopeUnreadable,
    envelope_seal_record,
    live_worker_keys,
    worker_identity,
)
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


class TemplateRejected(DefensorError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.user_message = reason


@dataclass(frozen=True)
class Work:
    """What the writer needs: the template and the data (opened from the envelope, or in hand)."""

    template_key: str
    upload_id: int | None
    snapshot: dict[str, Any]

    def encode(self) -> bytes:
        return json.dumps({"template_key": self.template_key, "upload_id": self.upload_id,
                           "snapshot": self.snapshot}).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Work:
        data = json.loads(raw)
        return cls(template_key=data["template_key"], upload_id=data["upload_id"], snapshot=data["snapshot"])


def document_request(
    *, case: Case, requested_by: User, keyring: KeyRing, template: TemplateInfo, inputs: dict[str, str],
    include_withdrawn: bool = False,
) -> GeneratedDocument:
    """Gather the case's data for the template and hand the writing to the background worker (the
    request returns at once). Without a running worker, it is written here, after the request's
    transaction: filling a template (and LibreOffice) never holds the database's write lock."""
    with transaction.atomic():
        document, sealer, work = _document_asked(case=case, requested_by=requested_by, keyring=keyring,
                                                 template=template, inputs=inputs,
                                                 include_withdrawn=include_withdrawn)
    if not document.envelope:
        _write(document, sealer, work)
    return document


def _document_asked(
    *, case: Case, requested_by: User, keyring: KeyRing, template: TemplateInfo, inputs: dict[str, str],
    include_withdrawn: bool,
) -> tuple[GeneratedDocument, RecordSealer, Work]:
    require_permission(requested_by, Perm.DOCUMENTS_GENERATE)
    require_record_access(user=requested_by, material=case.data_key)
    snapshot, people = document_snapshot(case=case, keyring=keyring, representative=requested_by,
                                         include_withdrawn=include_withdrawn, inputs=inputs, template=template)
    missing = missing_data(snapshot, template)
    if missing:
        raise MissingData(missing, claimants_count=snapshot["claimants_count"], people=people)
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
        "claimants": len(snapshot["claimants"]), "include_withdrawn": include_withdrawn,
        "background": bool(workers),
    })
    if workers:
        from defensor.documents.tasks import document_generate

        pk = document.pk
        transaction.on_commit(lambda: document_generate.enqueue(pk))
    return document, sealer, work


def document_from_envelope(*, document_id: int) -> GeneratedDocument | None:
    """The worker's side: open the envelope with this worker's in-memory key and write. Whatever
    goes wrong ends as a failed document with a code (never a traceback: it could carry data)."""
    document = GeneratedDocument.objects.select_related("case__data_key", "data_key").filter(pk=document_id).first()
    if document is None or document.status != DocumentStatus.QUEUED:
        return document
    identity = worker_identity()
    try:
        if identity is None:
            raise EnvelopeUnreadable()
        sealer, payload = identity.open_record(document.envelope, document.data_key)
        work = Work.decode(payload)
    except EnvelopeUnreadable:
        _failed(document, "worker_restarted")
        return document
    except EnvelopeForOtherKey:
        _failed(document, "key_rotated")  # the case's keys were replaced meanwhile: draft it again
        return document
    except Exception:
        _failed(document, "envelope_damaged")
        return document
    _write(document, sealer, work)
    return document


def _template_content(work: Work) -> bytes:
    from defensor.documents.catalogue import builtin_templates

    if work.upload_id is not None:
        return bytes(DocumentTemplate.objects.values_list("content", flat=True).get(pk=work.upload_id))
    return next(t for t in builtin_templates() if t.key == work.template_key).content()


def _key_rotated(document: GeneratedDocument, sealer: RecordSealer) -> bool:
    """Whether the document's key was replaced (or destroyed) since ``sealer`` was taken. Locks
    the key row, as ``record_sealer`` does: a rotation cannot start before the save commits."""
    locked = KeyMaterial.objects.select_for_update().filter(pk=sealer.material.pk).first()
    if locked is None or locked.retired_at is not None or locked.destroyed_at is not None:
        return True
    keys = GeneratedDocument.objects.filter(pk=document.pk).values_list("data_key_id", "case__data_key_id").first()
    return keys != (locked.pk, locked.pk)


def _write(document: GeneratedDocument, sealer: RecordSealer, work: Work) -> None:
    """Fill the template and convert it (outside any transaction: LibreOffice may take up to
    PDF_TIMEOUT_SECONDS), then save the files in a short one, if the case's key is still the one
    they are sealed with."""
    try:
        docx = render_docx(_template_content(work), work.snapshot)
        pdf = pdf_from_docx(docx)
    except RenderFailed:
        _failed(document, "template_error")
        return
    except Exception:
        _failed(document, "internal_error")
        return
    with transaction.atomic():
        if _key_rotated(document, sealer):
            # A rotation re-sealed the snapshot under the new key meanwhile: saving now would write
            # back the old key and ciphertext only it opens. Asked for again, it is written anew.
            _failed(document, "key_rotated")
            return
        document.encrypt(sealer, docx=base64.b64encode(docx).decode(),
                         pdf=base64.b64encode(pdf).decode() if pdf is not None else None)
        document.status, document.envelope, document.finished_at = DocumentStatus.DONE, "", timezone.now()
        document.save(update_fields=["docx", "pdf", "status", "envelope", "finished_at"])
        log_action(action="document.generated", organisation=document.case.organisation, target=document.case,
                   details={"document": document.pk, "pdf": pdf is not None})


@transaction.atomic
def _failed(document: GeneratedDocument, code: str) -> None:
    GeneratedDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.FAILED, failure=code, envelope="",
                                                            finished_at=timezone.now())
    document.refresh_from_db()
    log_action(action="document.failed", organisation=document.case.organisation, target=document.case,
               details={"document": document.pk, "failure": code})


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
