"""Writes and audited reads of the evidence locker.

Every service checks ``cases.work`` and that the actor holds the case's key. Every write and every
read of a file's content is audited (``log_action``) and, for content, is also a custody event, in
the same transaction. Files stream in and out in constant memory (keys.streams); a file's random
key is sealed under the case's data key, bound to the item's id.

Files of a request become items when the request is accepted (docs/decisions.md, "Evidence from
a request's files"): intake carries them into the case as ``cases.CaseFile`` rows and the cases app
sends ``cases.signals.files_carried`` in the accept's transaction (intake cannot import this app);
``request_files_taken_in`` makes each file an item as soon as that commits, by the accepting user, with the time it
was received as its capture time, after checking that it is still the file intake received (the
SHA-256 intake sealed into its metadata). A file that cannot be taken in then never fails the
accept: ``case_files_collect`` tries it again when someone who holds the case opens its evidence
section, recorded as added by the one who carried it.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.access.services import has_record_access, record_sealer, require_record_access
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission, require_permission
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
from defensor.keys.streams import StreamedFile, TooLarge, decrypt_chunks, encrypt_file, file_sha256

logger = logging.getLogger(__name__)


class ChangedSinceReceipt(DefensorError):
    """A request's file does not hash to what intake recorded when it was received."""

    code = "changed_since_receipt"
    user_message = _("This file has changed since it was received with the request, so it was not added to "
                     "the evidence. Please tell the administrator.")


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
    # The sealed ``metadata`` JSON, read once by ``sealed_metadata`` (outside any transaction).
    read: dict[str, str] = field(default_factory=dict, compare=False)

    def __repr__(self) -> str:
        return f"<SealedBlob {self.blob}>"


def sealed_metadata(sealed: SealedBlob) -> str:
    """What the file says about itself (evidence.metadata: a limited child process that may take
    seconds), read once. Callers read it BEFORE opening a transaction: on SQLite a write
    transaction holds the database's only write lock, and intake must not wait for a parser."""
    if "metadata" not in sealed.read:
        sealed.read["metadata"] = blob_metadata(sealed.stored.path, sealed.key, sealed.scan.media_type)
    return sealed.read["metadata"]


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
    metadata = sealed_metadata(sealed)  # read before the transaction by item_ingest_sealed and its callers
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
        sealed_metadata(sealed)  # before _item_record's transaction
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


def item_from_attachment(*, case: Case, attachment: Attachment, added_by: User, keyring: KeyRing) -> EvidenceItem:
    """The request's file carried into ``case`` becomes an evidence item (once per case and file),
    added by ``added_by``, captured when intake received it (the attachment's time, sealed).

    The file is opened with the request's key, which ``keyring`` must hold, and must hash to the
    SHA-256 intake sealed into its metadata (``ChangedSinceReceipt``: nothing is kept). Intake
    files are at most DEFENSOR_INTAKE_MAX_FILE_BYTES, opened whole by intake (its format has no
    streaming reader).
    """
    from defensor.intake.files import attachment_meta, received_sha256
    from defensor.intake.services import submission_attachment_content

    _require(actor=added_by, case=case)
    existing = EvidenceItem.objects.filter(case=case, attachment=attachment).first()
    if existing is not None:
        return existing
    carried = CaseFile.objects.filter(case=case, attachment=attachment).first()
    if carried is None or attachment.submission is None:
        raise NoAccess()
    submission = attachment.submission
    received = received_sha256(submission=submission, attachment=attachment, keyring=keyring)
    content = submission_attachment_content(submission=submission, attachment=attachment, keyring=keyring)
    name = str(attachment_meta(submission=submission, attachment=attachment, keyring=keyring).get("name") or "file")
    blob, key, scan = new_blob_name(), crypto.random_key(), ContentScan()
    stored = encrypt_file(io.BytesIO(content), blob_path(blob), key, limit=settings.DEFENSOR_EVIDENCE_MAX_BYTES,
                          observe=scan.feed)
    if stored.sha256 != received:
        stored.path.unlink(missing_ok=True)
        raise ChangedSinceReceipt()
    sealed = SealedBlob(blob, key, stored, scan)
    try:
        sealed_metadata(sealed)  # before the transaction
        with transaction.atomic():
            item = item_ingest_sealed(case=case, source=Source.REQUEST, sealed=sealed,
                                      name=name, added_by=added_by, keyring=keyring, attachment=attachment,
                                      captured_at=attachment.created_at)
            if carried.claimant_id is not None:
                EvidenceLink.objects.create(item=item, claimant_id=carried.claimant_id)
    except BaseException:
        stored.path.unlink(missing_ok=True)  # the rows roll back; the sealed blob must go too
        raise
    return item


def _refusal_code(error: Exception) -> str:
    """What stopped a request's file from becoming an item, as a code for logs and the audit."""
    if isinstance(error, ChangedSinceReceipt):
        return error.code
    if isinstance(error, NoAccess):
        return "no_key"
    if isinstance(error, crypto.Tampered):
        return "damaged"
    if isinstance(error, TooLarge):
        return "too_large"
    if isinstance(error, OSError):
        return "unreadable"
    return "error"


def _try_item_from_attachment(*, case: Case, carried: CaseFile, added_by: User,
                              keyring: KeyRing) -> tuple[EvidenceItem | None, str]:
    """``item_from_attachment`` in a savepoint of its own: (the item, "") or (None, why not).
    Any failure is caught: taking a file in must never undo what the caller did (an accept)."""
    try:
        with transaction.atomic():
            item = item_from_attachment(case=case, attachment=carried.attachment, added_by=added_by,
                                        keyring=keyring)
    except Exception as error:  # the person's request must not be lost over a file
        code = _refusal_code(error)
        # Ids, the code and the error's type only: its message could carry a value.
        logger.warning("evidence: request file %s of case %s not taken in (%s, %s)", carried.attachment_id,
                       case.pk, code, type(error).__name__)
        return None, code
    return item, ""


def request_files_taken_in(sender: object, *, case: Case, files: list[CaseFile], carried_by: User,
                           keyring: KeyRing, **kwargs: Any) -> None:
    """Receiver of ``cases.signals.files_carried`` (connected in EvidenceConfig.ready): once the
    accept has committed, each carried file becomes an item added by the accepting user, each in a
    transaction of its own — decrypting, sealing again and reading metadata take time, and a bulk
    accept of a hundred requests must not hold the database (SQLite's one write lock: intake
    would wait) for all of it. An accept that rolls back takes nothing in. A file that cannot be
    (no key for the request, damaged, changed since it was received) is recorded with its code in
    the audit log and left for ``case_files_collect``; the accept is never undone by a file."""
    def take_in() -> None:
        for carried in files:
            item, code = _try_item_from_attachment(case=case, carried=carried, added_by=carried_by,
                                                   keyring=keyring)
            if item is None:
                log_action(action="evidence.request_file_refused", actor=carried_by, target=case,
                           details={"attachment": str(carried.attachment_id), "code": code})

    transaction.on_commit(take_in, robust=True)


@dataclass(frozen=True)
class Collected:
    added: int
    failed: int
    changed: int = 0  # of the failed: changed since they were received (ChangedSinceReceipt)


def _carrier(carried: CaseFile, fallback: User) -> User:
    """Who an item taken in late is added by: the one who carried the file into the case, if they
    still work on it (else the one whose session takes it in)."""
    carrier = carried.added_by
    if (carrier.is_active and has_permission(carrier, Perm.CASES_WORK)
            and has_record_access(user=carrier, material=carried.case.data_key)):
        return carrier
    return fallback


def case_files_collect(*, case: Case, actor: User, keyring: KeyRing) -> Collected:
    """The fallback for files not taken in on accept (``request_files_taken_in``): each carried file
    without an item is made one with ``actor``'s keys, recorded as added by the one who carried it
    (``_carrier``). A file that still cannot be opened is left for later and counted; each file is
    its own transaction."""
    _require(actor=actor, case=case)
    waiting = (CaseFile.objects.filter(case=case).exclude(attachment_id__in=EvidenceItem.objects.filter(
        case=case, attachment__isnull=False).values("attachment_id"))
        .select_related("attachment__submission", "added_by", "case").order_by("added_at", "pk"))
    added = failed = changed = 0
    for carried in waiting:
        carrier = _carrier(carried, actor)
        with transaction.atomic():
            item, code = _try_item_from_attachment(case=case, carried=carried, added_by=carrier, keyring=keyring)
            if item is not None and carrier.pk != actor.pk:
                log_action(action="evidence.request_file_taken_in", actor=actor, target=item,
                           details={"case": case.pk, "number": item.number, "carried_by": carrier.pk})
        if item is None:
            failed += 1
            changed += code == ChangedSinceReceipt.code
        else:
            added += 1
    return Collected(added=added, failed=failed, changed=changed)


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
