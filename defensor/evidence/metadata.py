"""What a file says about itself (EXIF, document properties), read when the file is ingested and
kept in the item's sealed ``metadata`` field; and whether that could identify our client.

Where it comes from: ExifRead for images (JPEG, TIFF, HEIC, WebP, PNG's eXIf; GPS, camera make,
model and serial, owner, dates, software), hachoir for other formats (video, audio, Office OLE
files), and small readers of our own for what neither library reports: a PNG's text chunks, a PDF's
document information (literal strings only) and an Office Open XML document's two property parts
(``docProps/core.xml``, ``app.xml``: author, last editor, dates; each read capped, nothing else of
the zip is opened). Nothing is executed or rendered; every reader works on bytes in memory.

How much is read: the first ``DEFENSOR_EVIDENCE_METADATA_BYTES`` of the plaintext (16 MB by
default), decrypted from the sealed blob into memory (never to disk). That is the whole file for
nearly every photo and document; for a larger file (a video) only its beginning is read, so
metadata kept at its end (an MP4 whose ``moov`` box follows the data, a PDF's last information
dictionary) is not found and the record says ``partial``. Streaming a 2 GB video twice to find its
tail would double the cost of every ingest; we chose the cap.

The stored JSON (sealed): ``{"fields": [{"group", "key", "value"}], "gps": {"latitude",
"longitude"} | null, "identifying": [codes], "partial": bool, "unreadable": [reader names]}`` and,
for a working copy, ``derived_from`` (evidence.derive).
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from defensor.keys.streams import decrypt_chunks

DEFAULT_HEAD_BYTES = 16 * 1024 * 1024
MAX_VALUE_CHARS = 500
MAX_FIELDS = 300

# What could identify our client (the codes stored; labels for the warning).
IDENTIFYING_LABELS = {
    "gps": _("location (GPS coordinates)"),
    "device_serial": _("the device's serial number"),
    "owner": _("the device owner's name"),
    "author": _("an author's name"),
}

_SERIAL_TAGS = {"EXIF BodySerialNumber", "EXIF LensSerialNumber", "Image CameraSerialNumber",
                "MakerNote SerialNumber", "MakerNote InternalSerialNumber", "MakerNote SerialNumberFormat"}
_OWNER_TAGS = {"EXIF CameraOwnerName", "MakerNote OwnerName", "Image CameraOwnerName"}
_AUTHOR_TAGS = {"Image Artist", "Image XPAuthor", "Image Copyright"}
_AUTHOR_KEYS = {"author", "artist", "producer_person", "last modified by", "last_modification_author", "copyright",
                "writer"}
_SKIPPED_EXIF = ("JPEGThumbnail", "TIFFThumbnail", "Thumbnail ", "EXIF MakerNote", "MakerNote Tag ",
                 "Image PrintIM", "EXIF UserComment")


def head_bytes_limit() -> int:
    return int(getattr(settings, "DEFENSOR_EVIDENCE_METADATA_BYTES", DEFAULT_HEAD_BYTES))


def read_head(path: Path, key: bytes, limit: int) -> tuple[bytes, bool]:
    """The first ``limit`` bytes of a sealed blob's plaintext, in memory; and whether that is all of it."""
    buffer = bytearray()
    chunks = decrypt_chunks(path, key)
    try:
        for chunk in chunks:
            buffer += chunk
            if len(buffer) > limit:
                return bytes(buffer[:limit]), False
    finally:
        chunks.close()  # type: ignore[attr-defined]
    return bytes(buffer), True


def _text(value: object) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = "".join(c for c in text if c.isprintable() or c in "\n\t").strip()
    return text[:MAX_VALUE_CHARS]


class _Found:
    def __init__(self) -> None:
        self.fields: list[dict[str, str]] = []
        self.identifying: set[str] = set()
        self.gps: dict[str, float] | None = None
        self.unreadable: list[str] = []

    def add(self, group: str, key: str, value: object, *, identifies: str | None = None) -> None:
        text = _text(value)
        if not text or len(self.fields) >= MAX_FIELDS:
            return
        self.fields.append({"group": group, "key": key, "value": text})
        if identifies:
            self.identifying.add(identifies)
            return
        lowered = key.lower()
        if key in _SERIAL_TAGS or "serial" in lowered:
            self.identifying.add("device_serial")
        if key in _OWNER_TAGS or "owner" in lowered:
            self.identifying.add("owner")
        if key in _AUTHOR_TAGS or lowered in _AUTHOR_KEYS:
            self.identifying.add("author")
        if lowered.startswith("gps gpslatitude") or lowered in {"latitude", "longitude", "location"}:
            self.identifying.add("gps")


def _degrees(values: Iterable[Any], ref: str) -> float:
    parts = [float(v) for v in values]
    degrees = parts[0] + (parts[1] if len(parts) > 1 else 0) / 60 + (parts[2] if len(parts) > 2 else 0) / 3600
    return round(-degrees if ref.upper() in {"S", "W"} else degrees, 7)


def _exif(head: bytes, found: _Found) -> None:
    import exifread

    tags = exifread.process_file(io.BytesIO(head), details=True, extract_thumbnail=False)
    for key in sorted(tags):
        if key.startswith(_SKIPPED_EXIF):
            continue
        found.add("exif", key, tags[key].printable if hasattr(tags[key], "printable") else tags[key])
    latitude, longitude = tags.get("GPS GPSLatitude"), tags.get("GPS GPSLongitude")
    if latitude is not None and longitude is not None:
        with contextlib.suppress(TypeError, ValueError, ZeroDivisionError, IndexError):
            found.gps = {
                "latitude": _degrees(latitude.values, str(tags.get("GPS GPSLatitudeRef", "N"))),
                "longitude": _degrees(longitude.values, str(tags.get("GPS GPSLongitudeRef", "E"))),
            }
        found.identifying.add("gps")


def _png_text(head: bytes, found: _Found) -> None:
    """tEXt, zTXt and iTXt chunks (keyword and text) and the tIME chunk."""
    offset = 8
    while offset + 8 <= len(head):
        length, kind = struct.unpack(">I4s", head[offset:offset + 8])
        data = head[offset + 8:offset + 8 + min(length, 1024 * 1024)]
        offset += 12 + length
        if kind == b"IEND":
            break
        if kind == b"tIME" and len(data) >= 7:
            year, month, day, hour, minute, second = struct.unpack(">HBBBBB", data[:7])
            found.add("png", "tIME", f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}")
            continue
        if kind not in {b"tEXt", b"zTXt", b"iTXt"} or b"\0" not in data:
            continue
        keyword, rest = data.split(b"\0", 1)
        if kind == b"zTXt":
            rest = zlib.decompressobj().decompress(rest[1:], 64 * 1024)  # the size is capped: no bomb
        elif kind == b"iTXt":
            flag, _method, rest = rest[0:1], rest[1:2], rest[2:]
            _language, _translated, rest = ([*rest.split(b"\x00", 2), b"", b""])[:3]
            if flag == b"\x01":
                rest = zlib.decompressobj().decompress(rest, 64 * 1024)
        found.add("png", keyword.decode("latin-1"), rest.decode("utf-8" if kind == b"iTXt" else "latin-1", "replace"))


_PDF_INFO = re.compile(
    rb"/(Author|Creator|Producer|Title|Subject|Keywords|CreationDate|ModDate)\s*\(((?:\\.|[^\\)]){0,2000})\)")


def _pdf_string(raw: bytes) -> str:
    unescaped = re.sub(rb"\\([()\\])", rb"\1", raw)
    if unescaped.startswith(b"\xfe\xff"):
        return unescaped[2:].decode("utf-16-be", "replace")
    return unescaped.decode("latin-1")


def _pdf_info(head: bytes, found: _Found) -> None:
    seen: set[tuple[str, str]] = set()
    for match in _PDF_INFO.finditer(head):
        key, value = match.group(1).decode(), _pdf_string(match.group(2))
        if (key, value) not in seen:
            seen.add((key, value))
            found.add("pdf", key, value, identifies="author" if key == "Author" else None)


_OOXML_PARTS = ("docProps/core.xml", "docProps/app.xml")
_OOXML_PART_MAX = 256 * 1024
_OOXML_ELEMENT = re.compile(
    rb"<(?:\w+:)?(creator|lastModifiedBy|created|modified|lastPrinted|title|subject|description|keywords|"
    rb"Company|Manager|Application|AppVersion|Template)\b[^>]{0,200}>([^<]{1,2000})</")
_OOXML_AUTHORS = {"creator", "lastModifiedBy", "Manager"}


def _ooxml(head: bytes, found: _Found) -> None:
    """An Office Open XML document's properties (author, last editor, dates, application). Only
    these two small parts are read, each capped, from the zip in memory; nothing else is unpacked."""
    with zipfile.ZipFile(io.BytesIO(head)) as archive:
        names = set(archive.namelist())
        for part in _OOXML_PARTS:
            if part not in names:
                continue
            with archive.open(part) as handle:
                data = handle.read(_OOXML_PART_MAX)  # read, not trusted from the header: no bomb
            for match in _OOXML_ELEMENT.finditer(data):
                key = match.group(1).decode()
                found.add("office", key, html.unescape(match.group(2).decode("utf-8", "replace")),
                          identifies="author" if key in _OOXML_AUTHORS else None)


def _hachoir(head: bytes, found: _Found) -> None:
    from hachoir.core import config as hachoir_config  # type: ignore[import-untyped]
    from hachoir.metadata import extractMetadata  # type: ignore[import-untyped]
    from hachoir.parser import guessParser  # type: ignore[import-untyped]
    from hachoir.stream import InputIOStream  # type: ignore[import-untyped]

    hachoir_config.quiet = True  # its warnings would print parts of the file to the log
    parser = guessParser(InputIOStream(io.BytesIO(head), source="evidence", tags=[]))
    if parser is None:
        return
    with parser:
        extracted = extractMetadata(parser)
    if extracted is None:
        return
    for item in extracted:
        for value in item.values:
            found.add(type(parser).__name__.removesuffix("File").lower() or "file", item.key, value.text)


OOXML = "application/vnd.openxmlformats-officedocument"
_EXIF_TYPES = ("image/jpeg", "image/heic", "image/webp", "image/png", "image/tiff")
_NOT_PARSED = ("text/", "application/zip", "application/x-archive", "image/svg+xml", "application/xml")


def extract(head: bytes, media_type: str, *, complete: bool) -> dict[str, Any]:
    """What ``head`` (a file's first bytes, or all of them when ``complete``) says about itself.
    A reader that fails is named in ``unreadable`` (the reason is not kept: it may quote the file)."""
    found = _Found()
    readers: list[tuple[str, Any]] = []
    if media_type in _EXIF_TYPES or head[:4] in {b"II*\0", b"MM\0*"}:
        readers.append(("exif", _exif))
    if media_type == "image/png":
        readers.append(("png", _png_text))
    if media_type == "application/pdf":
        readers.append(("pdf", _pdf_info))
    elif media_type == OOXML:
        if complete:  # a zip's directory is at its end
            readers.append(("office", _ooxml))
    elif media_type not in _EXIF_TYPES and not media_type.startswith(_NOT_PARSED):
        readers.append(("hachoir", _hachoir))
    for name, reader in readers:
        try:
            reader(head, found)
        except Exception:  # a malformed file: the reader is named, the ingest goes on
            found.unreadable.append(name)
    return {"fields": found.fields, "gps": found.gps, "identifying": sorted(found.identifying),
            "partial": not complete, "unreadable": found.unreadable}


def blob_metadata(path: Path, key: bytes, media_type: str) -> str:
    """The sealed ``metadata`` JSON for a blob just sealed (the ingest hook in services._item_record)."""
    head, complete = read_head(path, key, head_bytes_limit())
    return json.dumps(extract(head, media_type, complete=complete), ensure_ascii=False)


def identifying(metadata_json: str | None) -> list[str]:
    """The codes of what in an item's metadata could identify our client."""
    if not metadata_json:
        return []
    try:
        return [str(code) for code in json.loads(metadata_json).get("identifying", [])]
    except (ValueError, AttributeError):
        return []
