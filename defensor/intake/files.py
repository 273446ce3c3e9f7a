"""A request's files for the team: listed on the request page, downloaded one by one.

The list shows each file's name, size, the type its first bytes show, the SHA-256 of the original
and whether it carries active content or is an archive (core.content: byte patterns only, nothing
is opened, rendered or unpacked). The SHA-256 is computed as the file streams in at intake and
sealed with its name (``received_sha256``); the scan, and the hash of the file as stored, cost a
full decryption, so they are computed once, the first time a team member lists the file, and kept
inside its sealed metadata too (a plaintext hash would let whoever seizes the server confirm that it
holds a known file). A stored file whose hash differs from the one at receipt is marked changed on
the page, and the evidence locker refuses to make it an item on accept.

Once the request is in a case, its files are the case's: downloading one from the request page
takes holding that case too (a volunteer who triages does not read the files of a restricted
case). A file the evidence locker made an item of is that item from then on: the page names it
("evidence No. 2 of case 2026-014") and its download goes through the item, so that the item's
chain of custody records it (``evidence_of_files``: intake asks the evidence app by a signal, as it
may not import it). Files the person sent later, with their receipt, are also shown in the conversation, under
the message they came with (``thread_with_files``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from defensor.access.services import has_record_access
from defensor.accounts.models import User
from defensor.audit.services import log_action
from defensor.cases.models import Case
from defensor.cases.signals import evidence_for_files
from defensor.core.content import ContentScan
from defensor.intake.models import Attachment, Submission
from defensor.intake.services import ThreadMessage, _aad, submission_data_key
from defensor.intake.uploads import attachment_path
from defensor.keys import crypto
from defensor.keys.keyring import KeyRing, NoAccess
from defensor.keys.models import KeyMaterial
from defensor.keys.streams import decrypt_chunks

# The same words as the evidence section's (evidence.templatetags.evidence).
REASON_LABELS = {
    "html": _("a web page"),
    "svg": _("an SVG picture (may run scripts)"),
    "script": _("scripts"),
    "macros": _("Office macros"),
    "pdf_javascript": _("JavaScript in a PDF"),
    "pdf_action": _("automatic actions in a PDF"),
    "rtf_object": _("embedded objects in an RTF document"),
    "polyglot": _("two file formats in one"),
}


@dataclass(frozen=True)
class EvidenceRef:
    """A request's file as an item of its case's evidence (ids and numbers only)."""

    item_id: str
    number: int  # № in the case's inventory of evidence
    case_id: int
    case_number: str


@dataclass(frozen=True)
class SubmissionFile:
    """One file of a request as the request page lists it (decrypted for the reader: render only)."""

    id: str
    name: str
    size: int
    media_type: str  # "" when the file could not be opened
    sha256: str
    reasons: tuple[str, ...]  # active content (core.content.ACTIVE_REASONS)
    archive: bool
    later: bool  # sent with a later message, not with the questionnaire
    damaged: bool = False
    received_at: datetime | None = None
    # False once the request is in a case the reader does not hold (only the case's holders download).
    downloadable: bool = True
    # The stored file's SHA-256 differs from the one computed as it arrived (``sha256`` is the stored one).
    changed: bool = False
    # The case's evidence item made of this file, when the reader may open it.
    evidence: EvidenceRef | None = None

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS.get(r, r)) for r in self.reasons]

    def __repr__(self) -> str:
        return f"<SubmissionFile {self.id}>"


def _file_key(*, submission: Submission, attachment: Attachment, keyring: KeyRing) -> bytes:
    if attachment.sealed_to_intake:
        return crypto.unseal(keyring.material(submission.intake_key_id), bytes(attachment.file_key or b""))
    key = submission_data_key(submission=submission, keyring=keyring)
    return crypto.decrypt(key, bytes(attachment.file_key or b""), aad=_aad(submission.pk, f"file.{attachment.pk}"))


def _meta(*, submission: Submission, attachment: Attachment, keyring: KeyRing) -> dict[str, Any]:
    if attachment.sealed_to_intake:
        raw = crypto.unseal(keyring.material(submission.intake_key_id), bytes(attachment.meta or b""))
    else:
        key = submission_data_key(submission=submission, keyring=keyring)
        raw = crypto.decrypt(key, bytes(attachment.meta or b""), aad=_aad(submission.pk, f"meta.{attachment.pk}"))
    return dict(json.loads(raw))


def attachment_meta(*, submission: Submission, attachment: Attachment, keyring: KeyRing) -> dict[str, Any]:
    """The file's sealed metadata (name, type, size; sha256 and the scan once it was listed).
    Raises ``NoAccess`` without the intake key, ``crypto.Tampered`` if it was changed."""
    return _meta(submission=submission, attachment=attachment, keyring=keyring)


def _meta_reseal(*, submission: Submission, attachment: Attachment, keyring: KeyRing, meta: dict[str, Any]) -> None:
    """Keep what the scan found inside the sealed metadata, sealed the way it was."""
    raw = json.dumps(meta, ensure_ascii=False).encode()
    if attachment.sealed_to_intake:
        public_key = bytes(KeyMaterial.objects.get(pk=submission.intake_key_id).public_key or b"")
        sealed = crypto.seal(public_key, raw)
    else:
        key = submission_data_key(submission=submission, keyring=keyring)
        sealed = crypto.encrypt(key, raw, aad=_aad(submission.pk, f"meta.{attachment.pk}"))
    Attachment.objects.filter(pk=attachment.pk).update(meta=sealed)


def _scanned(*, submission: Submission, attachment: Attachment, keyring: KeyRing) -> dict[str, Any]:
    """The file read once, as a stream: its SHA-256, exact size, type and active content."""
    key = _file_key(submission=submission, attachment=attachment, keyring=keyring)
    digest, scan, size = hashlib.sha256(), ContentScan(), 0
    for chunk in decrypt_chunks(attachment_path(str(attachment.pk)), key):
        digest.update(chunk)
        scan.feed(chunk)
        size += len(chunk)
    return {"sha256": digest.hexdigest(), "media_type": scan.media_type, "reasons": scan.reasons,
            "archive": scan.archive, "size": size}


@transaction.atomic
def received_sha256(*, submission: Submission, attachment: Attachment, keyring: KeyRing) -> str:
    """The SHA-256 of the file as it streamed in at intake (sealed in its metadata since receipt);
    for a file received before that was kept, the one sealed the first time it was listed (computed
    and sealed now if it never was). Raises ``NoAccess``, ``crypto.Tampered`` or ``OSError``."""
    meta = _meta(submission=submission, attachment=attachment, keyring=keyring)
    if meta.get("received_sha256"):
        return str(meta["received_sha256"])
    if "sha256" not in meta:
        meta |= _scanned(submission=submission, attachment=attachment, keyring=keyring)
        _meta_reseal(submission=submission, attachment=attachment, keyring=keyring, meta=meta)
    return str(meta["sha256"])


def _case_held(*, submission: Submission, reader: User) -> bool:
    """Whether ``reader`` may download the request's files as far as its case goes: yes before the
    request is in a case, then only holding the case's key."""
    if submission.case_id is None:
        return True
    case = Case.objects.filter(pk=submission.case_id).only("data_key").first()
    return case is not None and has_record_access(user=reader, material=case.data_key)


def evidence_of_files(*, submission: Submission, attachment_ids: Sequence[str], reader: User) -> dict[str, EvidenceRef]:
    """Which of the request's files are items of its case's evidence that ``reader`` may open, by
    attachment id (the evidence app answers ``cases.signals.evidence_for_files``)."""
    if submission.case_id is None or not attachment_ids:
        return {}
    case = Case.objects.filter(pk=submission.case_id).only("pk", "number").first()
    if case is None:
        return {}
    found: dict[str, EvidenceRef] = {}
    answers = evidence_for_files.send(sender=Submission, case=case, attachment_ids=list(attachment_ids),
                                      reader=reader)
    for _receiver, answer in answers:
        answered = cast("dict[str, tuple[str, int]]", answer or {})
        for attachment_id, (item_id, number) in answered.items():
            found[str(attachment_id)] = EvidenceRef(item_id=str(item_id), number=int(number), case_id=case.pk,
                                                    case_number=case.number)
    return found


@transaction.atomic
def submission_files(*, submission: Submission, keyring: KeyRing, reader: User | None = None) -> list[SubmissionFile]:
    """The request's files, with the questionnaire's first and then those of later messages.

    Raises ``NoAccess`` if the reader does not hold the intake key. A file listed for the first
    time is read through once and what that found is sealed into its metadata (no audit event: the
    listing is part of reading the request, which the page audits). With ``reader``: whether each
    file can be downloaded by them (``submission_file_download``'s rule on the request's case), and
    which are evidence items they may open."""
    downloadable = reader is None or _case_held(submission=submission, reader=reader)
    shown = []
    attachments = list(
        Attachment.objects.filter(submission=submission).order_by("sealed_to_intake", "created_at", "pk"))
    items = {} if reader is None or not downloadable else evidence_of_files(
        submission=submission, attachment_ids=[str(a.pk) for a in attachments], reader=reader)
    for attachment in attachments:
        meta = _meta(submission=submission, attachment=attachment, keyring=keyring)
        damaged = False
        if "sha256" not in meta:
            try:
                meta |= _scanned(submission=submission, attachment=attachment, keyring=keyring)
            except (crypto.Tampered, OSError):
                damaged = True
            else:
                _meta_reseal(submission=submission, attachment=attachment, keyring=keyring, meta=meta)
        shown.append(SubmissionFile(
            id=str(attachment.pk), name=str(meta.get("name") or ""), size=int(meta.get("size") or 0),
            media_type=str(meta.get("media_type") or ""), sha256=str(meta.get("sha256") or ""),
            reasons=tuple(meta.get("reasons") or ()), archive=bool(meta.get("archive")),
            later=attachment.sealed_to_intake, damaged=damaged, received_at=attachment.created_at,
            downloadable=downloadable,
            changed=bool(meta.get("received_sha256") and meta.get("sha256")
                         and meta["received_sha256"] != meta["sha256"]),
            evidence=items.get(str(attachment.pk)),
        ))
    return shown


@dataclass(frozen=True)
class ThreadEntry:
    """A message of the conversation and the files that came with it (``message`` None: files
    whose message is not there any more, at the end)."""

    message: ThreadMessage | None
    files: list[SubmissionFile] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<ThreadEntry files={len(self.files)}>"


def thread_with_files(thread: Sequence[ThreadMessage], files: Sequence[SubmissionFile]) -> list[ThreadEntry]:
    """The conversation with each later file under the person's message it arrived with: the last
    message of theirs written at or before the file was stored (both are written in one
    transaction, the message first)."""
    entries = [ThreadEntry(message=message) for message in thread]
    unplaced: list[SubmissionFile] = []
    for shown in files:
        if not shown.later:
            continue
        home = None
        for entry in entries:
            message = entry.message
            if message is None or message.from_team:
                continue
            if shown.received_at is not None and message.created_at <= shown.received_at:
                home = entry
        (home.files if home is not None else unplaced).append(shown)
    if unplaced:
        entries.append(ThreadEntry(message=None, files=unplaced))
    return entries


@dataclass(frozen=True)
class OpenedFile:
    name: str
    size: int
    chunks: Iterator[bytes]

    def __repr__(self) -> str:
        return f"<OpenedFile {self.size} bytes>"


@transaction.atomic
def submission_file_download(
    *, submission: Submission, attachment: Attachment, reader: User, keyring: KeyRing
) -> OpenedFile:
    """One file of the request, to stream to the reader; the download is an audited read (ids only).

    Raises ``NoAccess`` without the intake key, and once the request is in a case, without that
    case's key (its files are the case's: a triager who does not hold a restricted case does not
    read them)."""
    if attachment.submission_id != submission.pk:
        raise NoAccess()
    if not _case_held(submission=submission, reader=reader):
        raise NoAccess()
    key = _file_key(submission=submission, attachment=attachment, keyring=keyring)
    meta = _meta(submission=submission, attachment=attachment, keyring=keyring)
    log_action(action="submission.file_downloaded", actor=reader, target=submission,
               details={"attachment": str(attachment.pk), "later": attachment.sealed_to_intake})
    return OpenedFile(name=str(meta.get("name") or "file"), size=int(meta.get("size") or 0),
                      chunks=decrypt_chunks(attachment_path(str(attachment.pk)), key))
