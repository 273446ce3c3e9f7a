"""The court bundle: chosen items of a case as one ZIP in BagIt layout (RFC 8493), for a court or a
colleague outside the team.

Inside the ZIP, under one folder named after the case number and the day::

    bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
    data/<SHA-256 of the original>.<ext>     each original, byte for byte
    custody.json                             the chain of custody of every item, every field its hashes cover,
                                             and who each actor id is (name, role: outside the hashes)
    README.txt                               what the bag holds; how to recompute the chains without Defensor
    opis-dokazatelstv.docx                   «Опись доказательств» (№, what, source, date, SHA-256, size);
                                             a working copy's row says so, names its original and who made it
    timestamps/…                             trusted timestamp tokens, where the locker has them

``bag-info.txt`` names the case number, the organisation, who made the bundle and when: no client
names (the case's title may carry them and is left out).

How it is built without plaintext on disk or whole in memory: ``zipfile`` writes into
``SealedSink``, which hands the bytes, a chunk at a time, to a ``keys.streams.BlobWriter`` — the ZIP
is sealed as it is written, under the bundle's own random key, into the evidence folder's
``bundles/``. Each original streams from its sealed blob (``decrypt_chunks``) into the ZIP, its
SHA-256 checked against the sealed one on the way. The ZIP is not seekable there, so ``zipfile``
writes each entry's sizes and CRC after its data (a data descriptor); entries are deflated, which
every unzip tool reads streamed or not. The inventory DOCX and the tag files are small and made in
memory. Memory stays flat whatever the size of the originals (bench/evidence.py).

The work is the background worker's: the request seals the case's key to the running workers in an
envelope (keys.worker) and queues ``tasks.bundle_build`` with the bundle's id. Without a running
worker the bundle is built in the request, after its transaction. Whoever downloads it adds an
``exported`` custody event to each item in it, and the download is audited.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import mimetypes
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from defensor.access.services import record_sealer, require_record_access
from defensor.accounts.models import Role, User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case
from defensor.core.errors import DefensorError, InvalidOperation
from defensor.evidence.custody import CUSTODY_LOG_FORMAT, GENESIS, blob_path, event_time, evidence_dir
from defensor.evidence.models import Bundle, BundleStatus, CustodyEvent, CustodyKind, EvidenceItem, Source
from defensor.evidence.services import BlobDamaged, custody_append
from defensor.evidence.timestamps import stamp_proofs, tsa_certificates_pem
from defensor.evidence.verify import verify_items
from defensor.keys import crypto
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyMaterial
from defensor.keys.records import Decrypted, RecordSealer
from defensor.keys.streams import CHUNK_SIZE, BlobWriter, StreamedFile, decrypt_chunks, file_sha256
from defensor.keys.worker import (
    EnvelopeForOtherKey,
    EnvelopeUnreadable,
    envelope_seal_record,
    live_worker_keys,
    worker_identity,
)

logger = logging.getLogger(__name__)

MAX_ITEMS = 1000
# A bundle is as large as the files in it plus a little: well over the one-file limit.
MAX_BUNDLE_BYTES = 1 << 50
INVENTORY_NAME = "opis-dokazatelstv.docx"
BAGIT_VERSION = "1.0"

SOURCE_LABELS = {
    Source.REQUEST: gettext_lazy("Attached by the client to a request"),
    Source.UPLOAD: gettext_lazy("Uploaded by a team member"),
    Source.PUBLIC: gettext_lazy("Saved from a public source"),
}


class NothingChosen(InvalidOperation):
    user_message = gettext_lazy("Choose at least one item of evidence for the bundle.")


class TooManyChosen(InvalidOperation):
    user_message = gettext_lazy("A bundle can hold at most 1000 items.")


class BundleNotReady(DefensorError):
    user_message = gettext_lazy("This bundle is not ready to download.")


class BuildFailed(DefensorError):
    """The bundle could not be built; ``code`` says why (ids and codes only, never content)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- what other parts of the locker add to a bundle ------------------------------------------------

TagFiles = Callable[[Sequence[EvidenceItem]], Iterable[tuple[str, bytes]]]
_tag_file_sources: list[TagFiles] = []


def bundle_tag_files_register(source: TagFiles) -> TagFiles:
    """Register a function giving extra tag files for the chosen items, as (path in the bag,
    content): the trusted timestamps put their tokens under ``timestamps/``. The content must be
    small (it is held in memory) and carry nothing a court may not see."""
    _tag_file_sources.append(source)
    return source


def _timestamp_files(items: Sequence[EvidenceItem]) -> list[tuple[str, bytes]]:
    """The trusted timestamps of the items' chains (evidence.timestamps): each token as the TSA
    sent it (``timestamps/<token>.tsr``), how each item's chain head leads to the stamped root
    (``timestamps/proofs.json``) and the TSA's certificate (``timestamps/tsa.pem``)."""
    proofs = stamp_proofs(items=items)
    if not proofs:
        return []
    numbers = {str(item.pk): item.number for item in items}
    files: dict[str, bytes] = {}
    for proof in proofs:
        files.setdefault(f"timestamps/{proof.token_id}.tsr", proof.response)
    listed = [{
        "item": proof.item_id, "number": numbers.get(proof.item_id), "custody_seq": proof.seq, "head": proof.head,
        "token": f"timestamps/{proof.token_id}.tsr", "stamped_at": proof.stamped_at.isoformat(), "root": proof.root,
        "leaf_index": proof.index, "leaves": proof.leaves, "path": [list(step) for step in proof.path],
    } for proof in proofs]
    files["timestamps/proofs.json"] = json.dumps({
        "tree": "RFC 6962: leaf = SHA-256(0x00 || head), node = SHA-256(0x01 || left || right); "
                "the token's message imprint is SHA-256 of the root",
        "proofs": listed,
    }, ensure_ascii=False, indent=2).encode()
    certificates = tsa_certificates_pem()
    if certificates:
        files["timestamps/tsa.pem"] = certificates
    return list(files.items())


bundle_tag_files_register(_timestamp_files)


_SAFE_TAG_PATH = re.compile(r"^(?!data/)[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")


# --- the sealed sink -------------------------------------------------------------------------------


class SealedSink(io.RawIOBase):
    """A write-only file for ``zipfile`` that seals what it is given, in chunks of CHUNK_SIZE, into
    a ``BlobWriter`` (no seek: ``zipfile`` then writes data descriptors)."""

    def __init__(self, writer: BlobWriter) -> None:
        super().__init__()
        self._writer = writer
        self._buffer = bytearray()
        self._position = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def write(self, data: Any) -> int:
        self._buffer += data
        size = len(data) if not isinstance(data, memoryview) else data.nbytes
        self._position += size
        if len(self._buffer) >= CHUNK_SIZE:
            self._writer.write(bytes(self._buffer))
            self._buffer.clear()
        return size

    def finish(self) -> StreamedFile:
        if self._buffer:
            self._writer.write(bytes(self._buffer))
            self._buffer.clear()
        return self._writer.close()


def bundle_path(blob: str) -> Path:
    blob_path(blob)  # the same check of the name: it cannot leave the folder
    folder = evidence_dir() / "bundles"
    folder.mkdir(exist_ok=True, mode=0o700)
    return folder / f"{blob}.bin"


# --- asking for a bundle -------------------------------------------------------------------------


def _require(*, actor: User, case: Case) -> None:
    require_permission(actor, Perm.CASES_WORK)
    require_record_access(user=actor, material=case.data_key)


def bundle_request(*, case: Case, item_ids: Sequence[str], requested_by: User, keyring: KeyRing) -> Bundle:
    """Ask for a bundle of the case's items ``item_ids``: handed to the background worker (the
    request returns at once), or, without a running worker, built here after the transaction."""
    with transaction.atomic():
        bundle, sealer = _bundle_asked(case=case, item_ids=item_ids, requested_by=requested_by, keyring=keyring)
    if not bundle.envelope:
        bundle_write(bundle=bundle, sealer=sealer)
    return bundle


def _bundle_asked(*, case: Case, item_ids: Sequence[str], requested_by: User,
                  keyring: KeyRing) -> tuple[Bundle, RecordSealer]:
    _require(actor=requested_by, case=case)
    wanted = set()
    for raw in item_ids:
        try:
            wanted.add(uuid.UUID(str(raw)))
        except ValueError:
            continue
    if len(wanted) > MAX_ITEMS:
        raise TooManyChosen()
    chosen = [str(pk) for pk in EvidenceItem.objects.filter(case=case, pk__in=wanted).order_by("number")
              .values_list("pk", flat=True)]
    if not chosen:
        raise NothingChosen()
    sealer = record_sealer(material=case.data_key, keyring=keyring)
    bundle = Bundle(case=case, item_ids=chosen, requested_by=requested_by, requested_at=timezone.now(),
                    data_key=sealer.material)
    workers = live_worker_keys()
    if workers:
        bundle.envelope = envelope_seal_record(sealer, json.dumps({"bundle": str(bundle.pk)}).encode(), workers)
    bundle.save()
    log_action(action="evidence.bundle_requested", actor=requested_by, target=case, details={
        "bundle": str(bundle.pk), "items": len(chosen), "background": bool(workers)})
    if workers:
        from defensor.evidence.tasks import bundle_build

        pk = str(bundle.pk)
        transaction.on_commit(lambda: bundle_build.enqueue(pk))
    return bundle, sealer


def bundle_from_envelope(*, bundle_id: str) -> Bundle | None:
    """The worker's side: open the envelope with this worker's in-memory key and build. Whatever
    goes wrong ends as a failed bundle with a code (never a traceback: it could carry data)."""
    bundle = Bundle.objects.select_related("case__data_key", "data_key").filter(pk=bundle_id).first()
    if bundle is None or bundle.status != BundleStatus.QUEUED:
        return bundle
    identity = worker_identity()
    try:
        if identity is None:
            raise EnvelopeUnreadable()
        sealer, _payload = identity.open_record(bundle.envelope, bundle.data_key)
    except EnvelopeUnreadable:
        _failed(bundle, "worker_restarted")
        return bundle
    except EnvelopeForOtherKey:
        _failed(bundle, "key_rotated")
        return bundle
    except Exception:
        _failed(bundle, "envelope_damaged")
        return bundle
    bundle_write(bundle=bundle, sealer=sealer)
    return bundle


# --- building it ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One chosen item as the bundle describes it."""

    item: EvidenceItem
    values: Decrypted
    path: str  # data/<sha256>.<ext>
    parent_sha256: str = ""  # a working copy: the SHA-256 of its original

    def __repr__(self) -> str:
        return f"<_Entry {self.item.pk}>"


def _extension(name: str, media_type: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if re.fullmatch(r"[a-z0-9]{1,8}", suffix):
        return suffix
    guessed = mimetypes.guess_extension(media_type or "") or ""
    return guessed.lstrip(".") or "bin"


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def _captured(item: EvidenceItem, values: Decrypted) -> str:
    if values.captured_at:
        try:
            return _local(datetime.fromisoformat(values.captured_at))
        except ValueError:
            return values.captured_at
    return _local(item.added_at)


def _bag_name(case: Case, when: datetime) -> str:
    return f"{slugify(case.number) or 'case'}-{timezone.localtime(when):%Y%m%d}"


@dataclass(frozen=True)
class _Actor:
    """A team member as the bundle names them (staff, not client data): the name they give for
    documents, else their full name, else their login; their role when the bundle is made."""

    name: str
    login: str
    role: str  # a Role code, "" without a membership

    def exported(self) -> dict[str, str]:
        with translation.override("ru"):
            title = str(Role(self.role).label) if self.role in Role.values else ""
        return {"name": self.name, "login": self.login, "role": self.role, "role_title": title}


def _actors(entries: Sequence[_Entry]) -> dict[int, _Actor]:
    """Everyone who acted on the chosen items' chains, or made one of them, by user id."""
    item_ids = [entry.item.pk for entry in entries]
    ids = set(CustodyEvent.objects.filter(item_id__in=item_ids).exclude(actor=None)
              .values_list("actor_id", flat=True))
    ids |= {entry.item.added_by_id for entry in entries if entry.item.added_by_id}
    found = {}
    for user in User.objects.filter(pk__in=ids).select_related("membership"):
        membership = getattr(user, "membership", None)
        name = user.document_name or user.get_full_name() or user.get_username()
        found[user.pk] = _Actor(name=" ".join(name.split()), login=user.get_username(),
                                role=membership.role if membership else "")
    return found


def _custody_json(bundle: Bundle, entries: list[_Entry], actors: dict[int, _Actor]) -> bytes:
    """Every event of each item's chain with every field its hash covers (README.txt says how to
    recompute them), the ``captured`` event with the SHA-256 of the blob's ciphertext it binds.
    Beside the chains, outside the hashes: ``actors``, who each actor id is (name, login and role
    when the bundle is made), and each event's ``actor_name`` from it."""
    items = []
    for entry in entries:
        events = []
        for event in CustodyEvent.objects.filter(item=entry.item).order_by("seq"):
            exported: dict[str, Any] = {
                "seq": event.seq, "kind": event.kind, "actor": event.actor_id,
                "actor_name": actors[event.actor_id].name if event.actor_id in actors else None,
                "at": event_time(event.at), "details": event.details, "prev_hash": event.prev_hash,
                "hash": event.hash,
            }
            if event.kind == CustodyKind.CAPTURED:
                exported["blob_sha256"] = entry.item.blob_sha256
            events.append(exported)
        items.append({
            "number": entry.item.number, "id": str(entry.item.pk), "file": entry.path,
            "sha256": entry.values.sha256, "size": int(entry.values.size or 0),
            "head": events[-1]["hash"] if events else GENESIS, "events": events,
        })
    return json.dumps({
        "case": bundle.case.number, "bundle": str(bundle.pk),
        "made_at": timezone.now().isoformat(timespec="seconds"),
        "format": CUSTODY_LOG_FORMAT, "genesis": GENESIS,
        "actors": {str(pk): actor.exported() for pk, actor in sorted(actors.items())},
        "items": items,
    }, ensure_ascii=False, indent=2).encode()


# How an expert recomputes the chains, as a program (not translated: it is code).
_CHECK_PROGRAM = """import hashlib, json, sys

log = json.load(open("custody.json", encoding="utf-8"))
for item in log["items"]:
    prev = "0" * 64
    for number, event in enumerate(item["events"]):
        payload = {"item": item["id"], "seq": event["seq"], "kind": event["kind"], "actor": event["actor"],
                   "at": event["at"], "details": event["details"], "prev": event["prev_hash"]}
        if "blob_sha256" in event:
            payload["blob_sha256"] = event["blob_sha256"]
        encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        if (event["seq"] != number or event["prev_hash"] != prev
                or hashlib.sha256(encoded.encode()).hexdigest() != event["hash"]):
            sys.exit(f"item No. {item['number']}: event {number} does not recompute")
        prev = event["hash"]
    if prev != item["head"]:
        sys.exit(f"item No. {item['number']}: the head does not match")
print("custody.json: every chain recomputes")
"""


def _readme(case: Case, made_at: datetime) -> bytes:
    """README.txt: what the bag holds and how to check the chain of custody without Defensor, in
    Russian and in English."""
    parts = []
    for language in ("ru", "en"):
        with translation.override(language):
            parts.append("\n\n".join([
                _("Court bundle of evidence, case No. %(number)s. Made on %(date)s.") % {
                    "number": case_number_line(case), "date": _local(made_at)},
                _("This folder is a BagIt bag (RFC 8493): manifest-sha256.txt lists the SHA-256 of each file in "
                  "data/, tagmanifest-sha256.txt that of every other file."),
                _("data/: each original, byte for byte, named by its SHA-256. opis-dokazatelstv.docx: the "
                  "inventory of evidence. custody.json: the chain of custody of each item, every event in order. "
                  "timestamps/: trusted timestamps of the chains, where there are any (see proofs.json)."),
                _("How to check the chain of custody without Defensor: for each item in custody.json and each of "
                  "its events in order, make the JSON object with the keys item (the item's id), seq, kind, actor, "
                  "at, details and prev (the event's prev_hash), and blob_sha256 where the event has it. Encode it "
                  "with the keys sorted, no spaces (',' and ':' as separators) and every character outside "
                  "ASCII as a \\uXXXX escape. The SHA-256 of those bytes, in lowercase hexadecimal, is the event's "
                  "hash."),
                _("The times (at) are in UTC, ISO 8601 with microseconds and +00:00, as written in custody.json. "
                  "The first event's prev_hash is 64 zeros (GENESIS); every other event's is the hash of the one "
                  "before it; seq runs 0, 1, 2 and so on; the last hash is the item's head."),
                _("The first event of each item is “captured”. Its blob_sha256 is the SHA-256 of the encrypted "
                  "copy the organisation stores, so what was stored at capture is bound into the chain. The "
                  "SHA-256 of the original (sha256 in custody.json, the file's name in data/) is checked against "
                  "the file itself."),
                _("Who acted: each event's actor is a team member's id. The actors table in custody.json "
                  "gives, for each id, the person's name, login and role at the time the bundle was made; each "
                  "event's actor_name repeats that name. These names and roles are not covered by the hashes: "
                  "only the ids (actor) are."),
                _("The same check as a Python 3 program, run in this folder:"),
            ]))
    return (f"{parts[0]}\n\n{_CHECK_PROGRAM}\n----\n\n{parts[1]}\n\n{_CHECK_PROGRAM}").encode()


def _source_text(item: EvidenceItem, values: Decrypted) -> str:
    source = str(SOURCE_LABELS.get(Source(item.source), item.source))
    if values.url:
        source = f"{source}: {values.url}"
    if values.platform:
        source = f"{source} ({values.platform})"
    return source


def _inventory_row(entry: _Entry, actors: dict[int, _Actor]) -> tuple[str, str, str]:
    """What the item is, its source and its date, as the inventory writes them (in the active
    language). The file's name always, its description after it: a working copy, named by the
    original's name and “working copy”, is never taken for its original. A working copy's source is
    the copy itself (of which item, what was removed, who made it and when); where the original
    came from and its SHA-256 follow."""
    item, values = entry.item, entry.values
    what = "\n".join(part for part in (values.name or "", values.description or "", entry.path) if part)
    if item.parent_id is None or item.parent is None:
        return what, _source_text(item, values), _captured(item, values)
    maker = actors.get(item.added_by_id or 0)
    lines = [_("Working copy of item No. %(number)s (metadata removed)") % {"number": item.parent.number}]
    if maker is not None:
        lines.append(_("Made by: %(name)s") % {"name": maker.name})
    lines.append(_("Source of the original: %(source)s") % {"source": _source_text(item, values)})
    if entry.parent_sha256:
        lines.append(_("SHA-256 of the original: %(sha256)s") % {"sha256": entry.parent_sha256})
    made = _("(when the copy was made)")  # not inside the f-string: gettext's extractor would not see it
    return what, "\n".join(lines), f"{_local(item.added_at)}\n{made}"


def inventory_docx(*, case: Case, entries: Sequence[_Entry], made_at: datetime,
                   actors: dict[int, _Actor]) -> bytes:
    """«Опись доказательств»: one row per item (№, what it is, source, date of capture, SHA-256,
    size), in Russian whatever the requester's language."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    with translation.override("ru"):
        document = Document()
        section = document.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
        properties = document.core_properties
        for name in ("author", "last_modified_by", "subject", "comments", "keywords", "category"):
            setattr(properties, name, "")
        properties.title = _("Inventory of evidence")
        document.add_heading(_("Inventory of evidence"), level=1)
        document.add_paragraph(_("Case No. %(number)s. Made on %(date)s.") % {
            "number": case.number, "date": _local(made_at)})
        table = document.add_table(rows=1, cols=6)
        table.style = "Table Grid"
        headers = [_("No."), _("What the item is"), _("Source"), _("Date of capture"), _("SHA-256"), _("Size")]
        for cell, text in zip(table.rows[0].cells, headers, strict=True):
            cell.text = text
        for entry in entries:
            values = entry.values
            what, source, when = _inventory_row(entry, actors)
            size = int(values.size or 0)
            row = table.add_row().cells
            row[0].text = str(entry.item.number)
            row[1].text = what
            row[2].text = source
            row[3].text = when
            row[4].text = values.sha256 or ""
            row[5].text = ngettext("%(count)s byte", "%(count)s bytes", size) % {
                "count": f"{size:,}".replace(",", "\u00a0")}
            for paragraph in row[4].paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(7)
        document.add_paragraph(_("The files are in the bundle's data folder, each named by its SHA-256. "
                                 "The chain of custody of each item is in custody.json."))
        output = io.BytesIO()
        document.save(output)
        return output.getvalue()


def _entries(bundle: Bundle, sealer: RecordSealer) -> list[_Entry]:
    items = list(EvidenceItem.objects.filter(case=bundle.case, pk__in=bundle.item_ids).select_related("parent")
                 .order_by("number"))
    if len(items) != len(bundle.item_ids):
        raise BuildFailed("item_gone")
    entries = []
    problems = verify_items(items)  # each item checked as `defensor evidence verify` does, in a few queries
    for item in items:
        if item.data_key_id != sealer.material.pk:
            raise BuildFailed("key_rotated")
        if problems[str(item.pk)]:
            raise BuildFailed("custody_broken")
        values = item.decrypt_with(sealer.key)
        path = f"data/{values.sha256}.{_extension(values.name or '', values.media_type or '')}"
        parent_sha256 = ""
        if item.parent is not None and item.parent.data_key_id == sealer.material.pk:
            parent_sha256 = item.parent.decrypt_with(sealer.key, only=["sha256"]).sha256 or ""
        entries.append(_Entry(item=item, values=values, path=path, parent_sha256=parent_sha256))
    return entries


def _tag_files(entries: Sequence[_Entry]) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for source in _tag_file_sources:
        for path, content in source([entry.item for entry in entries]):
            if not _SAFE_TAG_PATH.match(path) or path in {name for name, _content in found}:
                raise BuildFailed("tag_file_name")
            found.append((path, content))
    return found


def _zip_info(name: str, when: datetime, size: int = 0) -> zipfile.ZipInfo:
    local = timezone.localtime(when)
    info = zipfile.ZipInfo(name, date_time=(local.year, local.month, local.day, local.hour, local.minute,
                                            local.second))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.file_size = size  # known in advance: zipfile chooses ZIP64 for a large file by it
    info.external_attr = 0o644 << 16
    return info


def _write_original(archive: zipfile.ZipFile, info: zipfile.ZipInfo, entry: _Entry, sealer: RecordSealer) -> int:
    """Stream one original from its blob into the ZIP; its SHA-256 and size must be the sealed ones."""
    key = base64.b64decode(entry.item.decrypt_with(sealer.key, only=["file_key"]).file_key or "")
    digest, size = hashlib.sha256(), 0
    with archive.open(info, "w") as target:
        for chunk in decrypt_chunks(blob_path(entry.item.blob), key):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    if digest.hexdigest() != entry.values.sha256 or size != int(entry.values.size or 0):
        raise BuildFailed("blob_changed")
    return size


def _build(bundle: Bundle, sealer: RecordSealer, blob: str, key: bytes) -> StreamedFile:
    entries = _entries(bundle, sealer)
    made_at = timezone.now()
    root = _bag_name(bundle.case, made_at)
    writer = BlobWriter(bundle_path(blob), key, limit=MAX_BUNDLE_BYTES)
    sink = SealedSink(writer)
    try:
        written: dict[str, tuple[str, int]] = {}  # path in the bag -> (SHA-256, size)
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for entry in entries:
                if entry.path in written:  # the same file twice (two items, one content): kept once
                    continue
                info = _zip_info(f"{root}/{entry.path}", made_at, int(entry.values.size or 0))
                written[entry.path] = (entry.values.sha256 or "", _write_original(archive, info, entry, sealer))
            manifest = "".join(f"{sha256}  {path}\n" for path, (sha256, _size) in written.items())
            oxum = f"{sum(size for _sha256, size in written.values())}.{len(written)}"
            requester = bundle.requested_by
            organisation = bundle.case.organisation
            actors = _actors(entries)
            tags: list[tuple[str, bytes]] = [
                ("bagit.txt", f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode()),
                ("bag-info.txt", "".join(f"{label}: {value}\n" for label, value in [
                    ("Source-Organization", " ".join(organisation.name.split())),
                    ("External-Identifier", case_number_line(bundle.case)),
                    ("External-Description", _external_description(bundle.case)),
                    ("Contact-Name", " ".join((requester.document_name or requester.username).split())),
                    ("Bagging-Date", f"{timezone.localtime(made_at):%Y-%m-%d}"),
                    ("Bagging-Time", timezone.localtime(made_at).isoformat(timespec="seconds")),
                    ("Bag-Software-Agent", "Defensor"),
                    ("Payload-Oxum", oxum),
                    ("Custody-Log-Format", f"{CUSTODY_LOG_FORMAT}; see README.txt"),
                ]).encode()),
                ("manifest-sha256.txt", manifest.encode()),
                ("custody.json", _custody_json(bundle, entries, actors)),
                ("README.txt", _readme(bundle.case, made_at)),
                (INVENTORY_NAME, inventory_docx(case=bundle.case, entries=entries, made_at=made_at, actors=actors)),
                *_tag_files(entries),
            ]
            for name, content in tags:
                archive.writestr(_zip_info(f"{root}/{name}", made_at, len(content)), content, compresslevel=6)
            tag_manifest = "".join(f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in tags)
            archive.writestr(_zip_info(f"{root}/tagmanifest-sha256.txt", made_at), tag_manifest.encode(),
                             compresslevel=6)
        return sink.finish()
    except BaseException:
        writer.abort()
        raise


def case_number_line(case: Case) -> str:
    return " ".join(case.number.split())


def _external_description(case: Case) -> str:
    """bag-info.txt's External-Description: in Russian for the court, then in English."""
    described = []
    for language in ("ru", "en"):
        with translation.override(language):
            described.append(_("Court bundle of evidence, case No. %(number)s") % {"number": case_number_line(case)})
    return " / ".join(described)


def bundle_write(*, bundle: Bundle, sealer: RecordSealer) -> None:
    """Build the ZIP, sealed as it is written (outside any transaction: the originals may be large),
    then record it in a short one if the case's key is still the one it was sealed with."""
    blob, key = uuid.uuid4().hex, crypto.random_key()
    try:
        stored = _build(bundle, sealer, blob, key)
    except BuildFailed as failure:
        _failed(bundle, failure.code)
        return
    except (crypto.Tampered, BlobDamaged):
        _failed(bundle, "blob_changed")
        return
    except Exception as error:  # the type only: a traceback's values could carry a file's name or content
        logger.error("evidence bundle %s could not be built: %s", bundle.pk, type(error).__name__)
        _failed(bundle, "internal_error")
        return
    with transaction.atomic():
        if _key_rotated(bundle, sealer):
            stored.path.unlink(missing_ok=True)
            _failed(bundle, "key_rotated")
            return
        bundle.encrypt(sealer, file_key=base64.b64encode(key).decode(), sha256=stored.sha256, size=str(stored.size))
        bundle.blob, bundle.blob_sha256 = blob, stored.blob_sha256
        bundle.status, bundle.envelope, bundle.finished_at = BundleStatus.DONE, "", timezone.now()
        bundle.save(update_fields=["file_key", "sha256", "size", "blob", "blob_sha256", "status", "envelope",
                                   "finished_at"])
        log_action(action="evidence.bundle_built", organisation=bundle.case.organisation, target=bundle.case,
                   details={"bundle": str(bundle.pk), "items": len(bundle.item_ids)})


def _key_rotated(bundle: Bundle, sealer: RecordSealer) -> bool:
    """Whether the case's key was replaced since ``sealer`` was taken (locks the key row, as
    ``record_sealer`` does, so a rotation cannot start before the save commits)."""
    locked = KeyMaterial.objects.select_for_update().filter(pk=sealer.material.pk).first()
    if locked is None or locked.retired_at is not None or locked.destroyed_at is not None:
        return True
    keys = Bundle.objects.filter(pk=bundle.pk).values_list("data_key_id", "case__data_key_id").first()
    return keys != (locked.pk, locked.pk)


@transaction.atomic
def _failed(bundle: Bundle, code: str) -> None:
    Bundle.objects.filter(pk=bundle.pk).update(status=BundleStatus.FAILED, failure=code, envelope="",
                                               finished_at=timezone.now())
    bundle.refresh_from_db()
    log_action(action="evidence.bundle_failed", organisation=bundle.case.organisation, target=bundle.case,
               details={"bundle": str(bundle.pk), "failure": code})


# --- reading ---------------------------------------------------------------------------------------


def bundles_of(*, case: Case, actor: User) -> list[Bundle]:
    _require(actor=actor, case=case)
    return list(Bundle.objects.filter(case=case).select_related("requested_by").defer("envelope")
                .order_by("-requested_at")[:50])


def bundle_file_name(bundle: Bundle) -> str:
    return f"{_bag_name(bundle.case, bundle.finished_at or bundle.requested_at)}.zip"


def bundle_open(*, bundle: Bundle, reader: User, keyring: KeyRing) -> tuple[int, Iterator[bytes]]:
    """The bundle's size and its ZIP as a stream of chunks, for a download: an ``exported``
    custody event for each item in it and an audit event, written before the first byte."""
    case = bundle.case
    _require(actor=reader, case=case)
    if bundle.status != BundleStatus.DONE or not bundle.blob:
        raise BundleNotReady()
    values = bundle.decrypt(keyring)
    key = base64.b64decode(values.file_key or "")
    path = bundle_path(bundle.blob)
    if not path.is_file() or file_sha256(path) != bundle.blob_sha256:
        raise BlobDamaged()
    with transaction.atomic():
        for item in EvidenceItem.objects.filter(case=case, pk__in=bundle.item_ids).order_by("number"):
            custody_append(item=item, kind=CustodyKind.EXPORTED, actor=reader, details={"bundle": str(bundle.pk)})
        log_action(action="evidence.bundle_downloaded", actor=reader, target=case, details={
            "bundle": str(bundle.pk), "items": len(bundle.item_ids)})
    return int(values.size or 0), decrypt_chunks(path, key)


def bundles_verify() -> list[str]:
    """Every built bundle's sealed file against the SHA-256 of its ciphertext, without keys (for
    ``defensor evidence verify``): one line per problem, ids and codes only."""
    lines = []
    for pk, blob, blob_sha256 in (Bundle.objects.filter(status=BundleStatus.DONE).exclude(blob="")
                                  .order_by("requested_at", "pk").values_list("pk", "blob", "blob_sha256")):
        path = bundle_path(blob)
        if not path.is_file():
            lines.append(f"bundle {pk}: blob-missing")
        elif file_sha256(path) != blob_sha256:
            lines.append(f"bundle {pk}: blob-changed")
    return lines
