"""Writing a document, apart from asking for it (services.py) so that the background task
(tasks.py) and the request both reach it without importing each other: the worker's side opens
the envelope with its in-memory key; either side fills the template, converts it and saves the
files sealed under the case's key."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from defensor.audit.services import log_action
from defensor.documents.models import DocumentStatus, DocumentTemplate, GeneratedDocument
from defensor.documents.render import RenderFailed, pdf_from_docx, render_docx
from defensor.keys.models import KeyMaterial
from defensor.keys.records import RecordSealer
from defensor.keys.worker import EnvelopeForOtherKey, EnvelopeUnreadable, worker_identity


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
    document_write(document=document, sealer=sealer, work=work)
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


def document_write(*, document: GeneratedDocument, sealer: RecordSealer, work: Work) -> None:
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
