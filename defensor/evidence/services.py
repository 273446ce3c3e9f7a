"""Writes and audited reads of the evidence locker.

Every service checks ``cases.work`` and that the actor holds the case's key. Every write and every
read of a file's content is audited (``log_action``) and, for content, is also a custody event, in
the same transaction. Files stream in and out in constant memory (keys.streams); a file's random
key is sealed under the case's data key, bound to the item's id.

Files of a request reach the locker lazily (docs/decisions.md, "Evidence from a request's files"):
accepting a request carries them into the case as ``cases.CaseFile`` rows (intake cannot import
this app); the first time someone who holds the case opens its evidence section, ``case_files_collect``
turns each carried file into an item (once per case and attachment).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.access.services import has_record_access, record_sealer, require_record_access
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case, CaseFile
from defensor.core.errors import DefensorError
from defensor.evidence.content import ContentScan
from defensor.evidence.custody import GENESIS, Problem, blob_path, event_hash
from defensor.evidence.metadata import blob_metadata
from defensor.evidence.models import CustodyEvent, CustodyKind, EvidenceItem, EvidenceLink, Source
from defensor.evidence.verify import verify_all, verify_item
from defensor.intake.models import Attachment
from defensor.keys import crypto
from defensor.keys.keyring import KeyRing, NoAccess
from defensor.keys.records import Decrypted
from defensor.keys.streams import StreamedFile, decrypt_chunks, encrypt_file, file_sha256

logger = logging.getLogger(__name__)


class BlobDamaged(DefensorError):
    user_message = _("This file's stored copy has been changed or damaged, so it is not given out. "
                     "Please tell the administrator: “defensor evidence verify” shows what is wrong.")


@dataclass(frozen=True)
class SealedBlob:
    """A file already sealed into the evidence folder as it arrived (the staff upload handler)."""

    blob: str
    key: bytes
    stored: StreamedFile
    scan: ContentScan

    def __repr__(self) -> str:
        return f"<SealedBlob {self.blob}>"


def _require(*, actor: User, case: Case) -> None:
    require_permission(actor, Perm.CASES_WORK)
    require_record_access(user=actor, material=case.data_key)


def new_blob_name() -> str:
    return uuid.uuid4().hex


@transaction.atomic
def custody_append(*, item: EvidenceItem, kind: CustodyKind, actor: User | None,
                   details: dict[str, Any] | None = None) -> CustodyEvent:
    """Append one event to the item's chain, under a row lock on the item (append-only: nothing
    anywhere updates or deletes a custody event)."""
    locked = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    last = CustodyEvent.objects.filter(item=locked).order_by("-seq").first()
    seq = locked.custody_length
    prev = last.hash if last is not None else GENESIS
    at = timezone.now()
    details = dict(details or {})
    captured = locked.blob_sha256 if kind == CustodyKind.CAPTURED else None
    event = CustodyEvent(
        item=locked, seq=seq, kind=kind, actor=actor, at=at, details=details, prev_hash=prev,
        hash=event_hash(item_id=locked.pk, seq=seq, kind=str(kind), actor_id=actor.pk if actor else None, at=at,
                        details=details, prev_hash=prev, captured=captured),
    )
    event.save()
    EvidenceItem.objects.filter(pk=locked.pk).update(custody_length=seq + 1)
    item.custody_length = seq + 1
    return event


@transaction.atomic
def _item_record(*, case: Case, source: Source, sealed: SealedBlob, name: str, added_by: User, keyring: KeyRing,
                 url: str, platform: str, captured_at: datetime | None, captured_with: str,
                 attachment: Attachment | None) -> EvidenceItem:
    sealer = record_sealer(material=case.data_key, keyring=keyring)
    metadata = blob_metadata(sealed.stored.path, sealed.key, sealed.scan.media_type)  # evidence.metadata
    Case.objects.select_for_update().filter(pk=case.pk).exists()  # one numbering at a time per case
    number = (EvidenceItem.objects.filter(case=case).aggregate(top=Max("number"))["top"] or 0) + 1
    reasons = sealed.scan.reasons
    item = EvidenceItem(
        id=uuid.uuid4(), case=case, number=number, source=source, active_content=bool(reasons),
        blob=sealed.blob, blob_sha256=sealed.stored.blob_sha256, added_by=added_by, added_at=timezone.now(),
        attachment=attachment,
    )
    item.encrypt(
        sealer, file_key=base64.b64encode(sealed.key).decode(), name=name[:255] or "file",
        media_type=sealed.scan.media_type, active_reasons=json.dumps(reasons),
        sha256=sealed.stored.sha256, size=str(sealed.stored.size), metadata=metadata, url=url or None,
        platform=platform or None, captured_at=captured_at.isoformat() if captured_at else None,
        captured_with=captured_with or None, tags=json.dumps([]),
    )
    item.save()
    # The flag as set at capture, so the chain's check can tell a flag changed in the database.
    details: dict[str, Any] = {"source": str(source), "active_content": bool(reasons)}
    if attachment is not None:
        details["attachment"] = str(attachment.pk)
    custody_append(item=item, kind=CustodyKind.CAPTURED, actor=added_by, details=details)
    log_action(action="evidence.added", actor=added_by, target=item, details={
        "case": case.pk, "number": number, "source": str(source), "active_content": bool(reasons),
        "archive": sealed.scan.archive, **({"attachment": str(attachment.pk)} if attachment else {}),
    })
    return item


def item_ingest_sealed(*, case: Case, source: Source, sealed: SealedBlob, name: str, added_by: User,
                       keyring: KeyRing, url: str = "", platform: str = "", captured_at: datetime | None = None,
                       captured_with: str = "", attachment: Attachment | None = None) -> EvidenceItem:
    """Record a file that was sealed as it arrived; the blob is removed if the record is refused."""
    try:
        _require(actor=added_by, case=case)
        return _item_record(case=case, source=source, sealed=sealed, name=name, added_by=added_by, keyring=keyring,
                            url=url, platform=platform, captured_at=captured_at, captured_with=captured_with,
                            attachment=attachment)
    except BaseException:
        sealed.stored.path.unlink(missing_ok=True)
        raise


def item_ingest(*, case: Case, source: Source, stream: BinaryIO, name: str, added_by: User, keyring: KeyRing,
                url: str = "", platform: str = "", captured_at: datetime | None = None, captured_with: str = "",
                attachment: Attachment | None = None) -> EvidenceItem:
    """Stream a file into the case's evidence: sealed as it is read (never whole in memory, never in
    plaintext on disk), its type sniffed and active content flagged on the way, then recorded with
    its ``captured`` custody event. Over ``DEFENSOR_EVIDENCE_MAX_BYTES``: ``keys.streams.TooLarge``."""
    _require(actor=added_by, case=case)
    blob, key, scan = new_blob_name(), crypto.random_key(), ContentScan()
    stored = encrypt_file(stream, blob_path(blob), key, limit=settings.DEFENSOR_EVIDENCE_MAX_BYTES, observe=scan.feed)
    return item_ingest_sealed(case=case, source=source, sealed=SealedBlob(blob, key, stored, scan), name=name,
                              added_by=added_by, keyring=keyring, url=url, platform=platform,
                              captured_at=captured_at, captured_with=captured_with, attachment=attachment)


def _attachment_name(submission: Any, attachment: Attachment, keyring: KeyRing) -> str:
    from defensor.intake.services import _aad, submission_data_key

    if attachment.sealed_to_intake:
        meta = crypto.unseal(keyring.material(submission.intake_key_id), bytes(attachment.meta or b""))
    else:
        key = submission_data_key(submission=submission, keyring=keyring)
        meta = crypto.decrypt(key, bytes(attachment.meta or b""), aad=_aad(submission.pk, f"meta.{attachment.pk}"))
    return str(json.loads(meta).get("name") or "file")


def item_from_attachment(*, case: Case, attachment: Attachment, added_by: User, keyring: KeyRing) -> EvidenceItem:
    """The request's file carried into ``case`` becomes an evidence item (once per case and file).

    The file is opened with the request's key, which the actor must hold too. Intake files are at
    most DEFENSOR_INTAKE_MAX_FILE_BYTES, opened whole by intake (its format has no streaming reader).
    """
    from defensor.intake.services import submission_attachment_content

    _require(actor=added_by, case=case)
    existing = EvidenceItem.objects.filter(case=case, attachment=attachment).first()
    if existing is not None:
        return existing
    carried = CaseFile.objects.filter(case=case, attachment=attachment).first()
    if carried is None or attachment.submission is None:
        raise NoAccess()
    submission = attachment.submission
    content = submission_attachment_content(submission=submission, attachment=attachment, keyring=keyring)
    name = _attachment_name(submission, attachment, keyring)
    with transaction.atomic():
        item = item_ingest(case=case, source=Source.REQUEST, stream=io.BytesIO(content), name=name,
                           added_by=added_by, keyring=keyring, attachment=attachment)
        if carried.claimant_id is not None:
            EvidenceLink.objects.create(item=item, claimant_id=carried.claimant_id)
    return item


@dataclass(frozen=True)
class Collected:
    added: int
    failed: int


def case_files_collect(*, case: Case, actor: User, keyring: KeyRing) -> Collected:
    """Turn the files carried into the case from requests into evidence items, where not done yet.
    A file that cannot be opened (the actor lacks the request's key, the file is damaged) is left
    for later and counted; each file is its own transaction."""
    _require(actor=actor, case=case)
    waiting = (CaseFile.objects.filter(case=case).exclude(attachment_id__in=EvidenceItem.objects.filter(
        case=case, attachment__isnull=False).values("attachment_id")).select_related("attachment__submission")
        .order_by("added_at", "pk"))
    added = failed = 0
    for carried in waiting:
        try:
            item_from_attachment(case=case, attachment=carried.attachment, added_by=actor, keyring=keyring)
        except (crypto.Tampered, NoAccess, OSError):
            logger.warning("evidence: request file %s of case %s could not be opened", carried.attachment_id, case.pk)
            failed += 1
        else:
            added += 1
    return Collected(added=added, failed=failed)


def item_file_key(*, item: EvidenceItem, keyring: KeyRing) -> bytes:
    return base64.b64decode(item.decrypt(keyring, only=["file_key"]).file_key or "")


def item_open(*, item: EvidenceItem, reader: User, keyring: KeyRing, purpose: str) -> tuple[Decrypted, Iterator[bytes]]:
    """The item's sealed fields and its content as a stream of chunks, for ``purpose`` "view" or
    "download" (a custody event and an audit event, written before the first byte is given).

    The blob's ciphertext SHA-256 is checked against the record first (a changed blob is refused
    before anything is sent: ``BlobDamaged``); the stream itself withholds its last chunk unless
    the whole blob authenticates (keys.streams), so a blob changed meanwhile never ends as a
    complete-looking file.
    """
    case = item.case
    _require(actor=reader, case=case)
    kind = {"view": CustodyKind.VIEWED, "download": CustodyKind.DOWNLOADED}[purpose]
    values = item.decrypt(keyring)
    key = item_file_key(item=item, keyring=keyring)
    path = blob_path(item.blob)
    if not path.is_file() or file_sha256(path) != item.blob_sha256:
        raise BlobDamaged()
    with transaction.atomic():
        custody_append(item=item, kind=kind, actor=reader)
        log_action(action=f"evidence.{kind}", actor=reader, target=item, details={"case": case.pk,
                                                                                   "number": item.number})
    return values, decrypt_chunks(path, key)


def items_of(*, case: Case, actor: User) -> list[EvidenceItem]:
    """The case's items in inventory order, for someone who holds the case (else none)."""
    if not has_record_access(user=actor, material=case.data_key):
        return []
    return list(EvidenceItem.objects.filter(case=case).order_by("number"))


def custody_verify(*, item: EvidenceItem | None = None) -> list[Problem]:
    """Every item (or one item), checked without keys as ``defensor evidence verify`` does
    (evidence.verify): the problems found."""
    return verify_item(item) if item is not None else verify_all()
