"""Working copies without metadata, and the item page's audited read.

A working copy is a new item (``parent`` = the original, same source) whose content is the
original's with the metadata segments taken out, byte for byte otherwise: nothing is decoded or
re-encoded, so the picture is exactly the original's. The original never changes. Both items get a
``derived`` custody event naming the parent (the parent's also names the copy; the copy's says that
the parent's SHA-256 is recorded in the copy's sealed metadata, under ``derived_from``).

JPEG: the markers are walked; APP1 (Exif, XMP), APP13 (IPTC/Photoshop), COM, the vendor blocks
APP3–APP12 and APP15, and anything after EOI (phone "trailers", appended files) are dropped; SOI,
APP0 (JFIF), APP2 (ICC colour profile), APP14 (Adobe colour transform), the tables, frames and the
entropy-coded scans are copied as they are. PNG: tEXt, iTXt, zTXt, eXIf and tIME chunks and
anything after IEND are dropped, every other chunk is copied with its CRC. Both are streamed: the
original is decrypted chunk by chunk, filtered and sealed again, in constant memory (a segment is
at most 64 KB; a PNG chunk of any size is copied in pieces).

PDF and Office documents are rewritten by a library (pypdf; zipfile with python-docx's XML
parser) in the limited child process of ``evidence.metadata_child``, from the plaintext in memory
over a pipe: a PDF keeps its pages and loses its information dictionary and XMP packets; an Office
document keeps every part but its core and custom properties are emptied, its company, manager,
template and editing time dropped, and the names on comments and tracked changes blanked. A file
larger than ``DEFENSOR_EVIDENCE_METADATA_BYTES``, an encrypted PDF, or a file the child could not
rewrite is refused with its reason. Other types are refused.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from defensor.access.services import record_sealer
from defensor.accounts.models import User
from defensor.audit.services import log_action
from defensor.core.errors import DefensorError
from defensor.evidence.custody import blob_path
from defensor.evidence.metadata import OOXML, ChildFailed, child_limits, head_bytes_limit, run_child
from defensor.evidence.models import CustodyKind, EvidenceItem, Source
from defensor.evidence.services import BlobDamaged, _require, custody_append, item_file_key, item_ingest
from defensor.keys.keyring import KeyRing
from defensor.keys.records import Decrypted
from defensor.keys.streams import decrypt_chunks, file_sha256


class CannotStrip(DefensorError):
    user_message = _("There is no way to remove metadata from this type of file here; share it with care.")


class Malformed(CannotStrip):
    user_message = _("The file's structure could not be read, so no working copy was made; share it with care.")


class Encrypted(CannotStrip):
    user_message = _("The PDF is protected with a password, so its metadata cannot be removed here; share it "
                     "with care.")


class TooLargeToClean(CannotStrip):
    def __init__(self, limit: int) -> None:
        super().__init__(_("The file is too large to remove its metadata here (the limit is %(mb)d MB); share it "
                           "with care.") % {"mb": limit // (1024 * 1024)})


# --- reading a stream of chunks ----------------------------------------------------------------


class _Reader:
    """Bytes from an iterator of chunks, with exact reads, pass-through copies and a marker scan."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._pos = 0

    def _more(self) -> bool:
        chunk = next(self._chunks, None)
        if chunk is None:
            return False
        self._buffer = self._buffer[self._pos:] + chunk
        self._pos = 0
        return True

    def available(self) -> int:
        return len(self._buffer) - self._pos

    def at_end(self) -> bool:
        return self.available() == 0 and not self._more()

    def read(self, size: int) -> bytes:
        while self.available() < size:
            if not self._more():
                raise Malformed()
        data = self._buffer[self._pos:self._pos + size]
        self._pos += size
        return data

    def pieces(self, size: int) -> Iterator[bytes]:
        """The next ``size`` bytes, in pieces as they come (for a chunk too large to hold)."""
        while size > 0:
            if self.available() == 0 and not self._more():
                raise Malformed()
            piece = self._buffer[self._pos:self._pos + size]
            self._pos += len(piece)
            size -= len(piece)
            yield piece

    def entropy_coded(self) -> Iterator[bytes]:
        """A JPEG scan's data up to the next marker (0xFF not followed by 0x00 or RSTn); the reader
        is left at that marker. Ends quietly at the end of a truncated file."""
        while True:
            index = self._buffer.find(b"\xff", self._pos)
            while index != -1 and index + 1 < len(self._buffer):
                following = self._buffer[index + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    index = self._buffer.find(b"\xff", index + 2)
                    continue
                yield self._buffer[self._pos:index]
                self._pos = index
                return
            end = len(self._buffer) if index == -1 else index
            if end > self._pos:
                yield self._buffer[self._pos:end]
                self._pos = end
            if not self._more():
                return


# --- JPEG and PNG ----------------------------------------------------------------------------

_JPEG_DROPPED = {0xE1: "app1", 0xED: "app13", 0xFE: "com"} | {m: f"app{m - 0xE0}" for m in (*range(0xE3, 0xED), 0xEF)}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def strip_jpeg(chunks: Iterator[bytes], removed: set[str]) -> Iterator[bytes]:
    reader = _Reader(chunks)
    if reader.read(2) != b"\xff\xd8":
        raise Malformed()
    yield b"\xff\xd8"
    while True:
        if reader.at_end():
            return  # a file cut short after a scan: kept as it is
        if reader.read(1) != b"\xff":
            raise Malformed()
        marker = reader.read(1)[0]
        while marker == 0xFF:  # fill bytes before a marker
            marker = reader.read(1)[0]
        if marker == 0xD9:  # EOI: anything after it is not part of the picture
            yield b"\xff\xd9"
            if not reader.at_end():
                removed.add("trailer")
            return
        if marker in _STANDALONE:
            yield bytes([0xFF, marker])
            continue
        length_bytes = reader.read(2)
        length = struct.unpack(">H", length_bytes)[0]
        if length < 2:
            raise Malformed()
        body = reader.read(length - 2)
        if marker in _JPEG_DROPPED:
            removed.add(_JPEG_DROPPED[marker])
            continue
        yield bytes([0xFF, marker]) + length_bytes + body
        if marker == 0xDA:  # SOS: the scan's data follows, copied untouched
            yield from reader.entropy_coded()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DROPPED = {b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"}


def strip_png(chunks: Iterator[bytes], removed: set[str]) -> Iterator[bytes]:
    reader = _Reader(chunks)
    if reader.read(8) != PNG_SIGNATURE:
        raise Malformed()
    yield PNG_SIGNATURE
    while True:
        header = reader.read(8)
        length, kind = struct.unpack(">I4s", header)
        if length > 0x7FFFFFFF:
            raise Malformed()
        if kind in _PNG_DROPPED:
            removed.add(kind.decode())
            for _piece in reader.pieces(length + 4):
                pass
            continue
        yield header
        yield from reader.pieces(length + 4)  # data and CRC, as they were
        if kind == b"IEND":
            if not reader.at_end():
                removed.add("trailer")
            return


STRIPPERS: dict[str, Callable[[Iterator[bytes], set[str]], Iterator[bytes]]] = {
    "image/jpeg": strip_jpeg,
    "image/png": strip_png,
}
# Rewritten whole, in memory, by the limited child (evidence.metadata_child.STRIP).
CHILD_STRIPPED = {"application/pdf", OOXML}


def cleanable(media_type: str) -> bool:
    return media_type in STRIPPERS or media_type in CHILD_STRIPPED


def strip_in_child(chunks: Iterator[bytes], media_type: str, removed: set[str]) -> bytes:
    """A PDF's or Office document's working copy, made by the child (see the module's docstring)."""
    limit = head_bytes_limit()
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > limit:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
            raise TooLargeToClean(limit)
    try:
        answer = run_child({"mode": "strip", "media_type": media_type, "size": len(data), "complete": True},
                           bytes(data), b"", child_limits(strip=True))
    except ChildFailed as failure:
        raise Malformed() from failure
    line, _newline, cleaned = answer.partition(b"\n")
    try:
        result = json.loads(line)
    except ValueError as error:
        raise Malformed() from error
    if result.get("refused") == "encrypted":
        raise Encrypted()
    if result.get("refused") == "type":
        raise CannotStrip()
    if "removed" not in result or not cleaned:
        raise Malformed()
    removed.update(str(code) for code in result["removed"])
    return cleaned


# What a working copy lost, in words, by the code recorded in its metadata's ``derived_from.removed``
# (JPEG segments, PNG chunks, PDF and Office parts; see the strippers above and metadata_child.STRIP).
_VENDOR_BLOCKS = _("camera makers' data blocks")
REMOVED_LABELS = {
    "app1": _("EXIF data (including GPS and the camera) and XMP"),
    "app13": _("IPTC/Photoshop data (captions, author, place)"),
    "com": _("comment"),
    "trailer": _("data appended after the picture or the file's end"),
    "tEXt": _("PNG text fields"), "iTXt": _("PNG text fields"), "zTXt": _("PNG text fields"),
    "eXIf": _("EXIF data (including GPS and the camera)"),
    "tIME": _("the time the picture was last changed"),
    "info": _("document properties (author, dates, programs)"),
    "xmp": _("XMP"),
    "pieceinfo": _("programs' private data"),
    "core": _("document properties (author, dates)"),
    "custom": _("custom document properties"),
    "app:Company": _("company"), "app:Manager": _("manager"), "app:Template": _("template"),
    "app:TotalTime": _("editing time"), "app:HyperlinkBase": _("link base address"),
    "authors": _("names (and dates) on comments and tracked changes"),
    "thumbnail": _("the preview picture of the first page"),
} | {f"app{n}": _VENDOR_BLOCKS for n in (*range(3, 13), 15)}


def removed_labels(codes: list[str]) -> list[str]:
    """``derived_from.removed`` in words, each said once, in the order recorded (a code we do not
    know is shown as it is)."""
    shown: list[str] = []
    for code in codes:
        label = str(REMOVED_LABELS.get(str(code), str(code)))
        if label not in shown:
            shown.append(label)
    return shown


class _ChunkStream:
    """A read()-able stream over an iterator of chunks (what item_ingest reads from)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


# --- services --------------------------------------------------------------------------------


def _working_copy_name(name: str) -> str:
    path = PurePosixPath(name or "file")
    return str(_("%(stem)s (working copy)%(suffix)s") % {"stem": path.stem, "suffix": path.suffix})[:255]


@transaction.atomic
def item_working_copy(*, item: EvidenceItem, actor: User, keyring: KeyRing) -> EvidenceItem:
    """A working copy of ``item`` without its metadata, for sharing (see the module's docstring).
    ``CannotStrip`` for a type we cannot clean, ``BlobDamaged`` if the original's blob changed."""
    case = item.case
    _require(actor=actor, case=case)
    values = item.decrypt(keyring)
    media_type = values.media_type or ""
    if not cleanable(media_type):
        raise CannotStrip()
    path = blob_path(item.blob)
    if not path.is_file() or file_sha256(path) != item.blob_sha256:
        raise BlobDamaged()
    removed: set[str] = set()
    chunks = decrypt_chunks(path, item_file_key(item=item, keyring=keyring))
    stream: Any
    if media_type in STRIPPERS:
        stream = _ChunkStream(STRIPPERS[media_type](chunks, removed))
    else:
        stream = io.BytesIO(strip_in_child(chunks, media_type, removed))
    copy = item_ingest(case=case, source=Source(item.source), stream=stream,
                       name=_working_copy_name(values.name or ""), added_by=actor, keyring=keyring,
                       url=values.url or "", platform=values.platform or "", captured_with=values.captured_with or "")
    try:
        metadata = json.loads(copy.decrypt(keyring, only=("metadata",)).metadata or "{}")
        metadata["derived_from"] = {"item": str(item.pk), "number": item.number, "sha256": values.sha256,
                                    "removed": sorted(removed)}
        zone = json.loads(values.metadata or "{}").get("captured_zone")
        if zone:  # the zone its time of capture was given in (evidence.public_source)
            metadata["captured_zone"] = zone
        # Where the original came from stays true of its copy: a saved public source's copy keeps its
        # address, platform and tool (given to item_ingest), its time of capture and who captured it.
        copy.encrypt(record_sealer(material=case.data_key, keyring=keyring),
                     metadata=json.dumps(metadata, ensure_ascii=False),
                     captured_at=values.captured_at, captured_by=values.captured_by)
        copy.parent = item
        copy.save(update_fields=["metadata", "captured_at", "captured_by", "parent"])
        details: dict[str, Any] = {"parent": str(item.pk), "parent_sha256_in_metadata": True,
                                   "removed": sorted(removed)}
        custody_append(item=copy, kind=CustodyKind.DERIVED, actor=actor, details=details)
        custody_append(item=item, kind=CustodyKind.DERIVED, actor=actor,
                       details={"parent": str(item.pk), "working_copy": str(copy.pk)})
        log_action(action="evidence.derived", actor=actor, target=copy, details={
            "case": case.pk, "number": copy.number, "parent": str(item.pk), "parent_number": item.number,
            "removed": sorted(removed)})
    except BaseException:
        blob_path(copy.blob).unlink(missing_ok=True)  # the rows roll back; the sealed blob must go too
        raise
    return copy


def item_page_open(*, item: EvidenceItem, reader: User, keyring: KeyRing) -> Decrypted:
    """The item's sealed fields for its page: an audited read and a ``viewed`` custody event (the
    content itself is not opened; the blob is not hashed on every page view)."""
    case = item.case
    _require(actor=reader, case=case)
    values = item.decrypt(keyring)
    with transaction.atomic():
        custody_append(item=item, kind=CustodyKind.VIEWED, actor=reader, details={"page": "item"})
        log_action(action="evidence.viewed", actor=reader, target=item,
                   details={"case": case.pk, "number": item.number, "page": "item"})
    return values
