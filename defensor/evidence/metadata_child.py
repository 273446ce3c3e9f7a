"""The child process that parses untrusted files: it reads what a file says about itself, and
makes the metadata-free working copy of a PDF or an Office document.

It runs as a script (``python -I -B metadata_child.py CPU_SECONDS MEMORY_BYTES``), started by
``evidence.metadata.run_child`` for every file, with an empty environment, and imports nothing of
Defensor or Django: only the standard library and the parsers (ExifRead, hachoir, pypdf, lxml
through python-docx). Before it reads a byte of the file it limits itself: address space
(``RLIMIT_AS``), CPU seconds (``RLIMIT_CPU``: the kernel kills it), no file written
(``RLIMIT_FSIZE`` 0), no process started (``RLIMIT_NPROC`` 0), no core dump. The parent kills it
when its wall-clock timeout passes. A parser that loops, explodes in memory or crashes therefore
costs one child, never the server; the parent records "could not be read".

The file arrives on stdin, never as a path (the plaintext must not reach the disk): one JSON line
``{"mode", "media_type", "size", "head", "tail", "complete"}`` and then ``head`` bytes (the file's
beginning) and ``tail`` bytes (its end, for a video whose ``moov`` box follows the data).

``extract`` answers one JSON line: ``{"fields", "gps", "identifying", "partial", "unreadable"}``
(see ``evidence.metadata``). ``strip`` answers one JSON line ``{"removed": [...]}`` or
``{"refused": "encrypted" | "malformed" | "type"}``, then the working copy's bytes. A parser that
reaches the memory limit ends the child with status 3 and no answer.

Nothing here prints what it read: errors are swallowed and named, never quoted (stderr is
discarded by the parent anyway).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import io
import json
import os
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

MAX_VALUE_CHARS = 500
MAX_FIELDS = 300
OOXML = "application/vnd.openxmlformats-officedocument"
MP4_TYPES = ("video/mp4", "video/quicktime")
QUICKTIME_FIRST_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}

_SERIAL_TAGS = {"EXIF BodySerialNumber", "EXIF LensSerialNumber", "Image CameraSerialNumber",
                "MakerNote SerialNumber", "MakerNote InternalSerialNumber", "MakerNote SerialNumberFormat"}
_OWNER_TAGS = {"EXIF CameraOwnerName", "MakerNote OwnerName", "Image CameraOwnerName"}
_AUTHOR_TAGS = {"Image Artist", "Image XPAuthor", "Image Copyright"}
_AUTHOR_KEYS = {"author", "artist", "producer_person", "last modified by", "last_modification_author", "copyright",
                "writer"}
_SKIPPED_EXIF = ("JPEGThumbnail", "TIFFThumbnail", "Thumbnail ", "EXIF MakerNote", "MakerNote Tag ",
                 "Image PrintIM", "EXIF UserComment")


def limit_self(cpu_seconds: int, memory_bytes: int) -> None:
    """The limits, set by the child on itself before it reads the file."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write to a file fails instead of killing us
    for limit, value in ((resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_CPU, cpu_seconds),
                         (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, 0)):
        with contextlib.suppress(ValueError, OSError):  # a hard limit already lower stays
            resource.setrlimit(limit, (value, value))


def _text(value: object) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = "".join(c for c in text if c.isprintable() or c in "\n\t").strip()
    return text[:MAX_VALUE_CHARS]


class Found:
    def __init__(self) -> None:
        self.fields: list[dict[str, str]] = []
        self.identifying: set[str] = set()
        self.gps: dict[str, float] | None = None
        self.unreadable: list[str] = []
        self.moov_read = False

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


def out_of_memory(error: BaseException | None) -> bool:
    """Whether an error comes from the memory limit (a library may wrap the MemoryError or turn it
    into an error of its own, or the kernel refuse a mapping with ENOMEM): the chain of causes
    names it, or a megabyte cannot be had any more."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, MemoryError) or (isinstance(error, OSError) and error.errno == errno.ENOMEM):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    try:
        bytearray(1 << 20)
    except MemoryError:
        return True
    return False


class Sparse:
    """A file of which only the beginning and the end are at hand (the middle of a large video)."""

    def __init__(self, head: bytes, tail: bytes, size: int) -> None:
        self.head, self.tail, self.size = head, tail, size

    def get(self, offset: int, length: int) -> bytes | None:
        """Bytes ``[offset, offset + length)`` if all of them are at hand, else None."""
        if offset < 0 or length < 0 or offset + length > self.size:
            return None
        if offset + length <= len(self.head):
            return self.head[offset:offset + length]
        start = self.size - len(self.tail)
        if offset >= start:
            return self.tail[offset - start:offset - start + length]
        return None


# --- images ------------------------------------------------------------------------------------


def _degrees(values: Iterable[Any], ref: str) -> float:
    parts = [float(v) for v in values]
    degrees = parts[0] + (parts[1] if len(parts) > 1 else 0) / 60 + (parts[2] if len(parts) > 2 else 0) / 3600
    return round(-degrees if ref.upper() in {"S", "W"} else degrees, 7)


def read_exif(view: Sparse, found: Found) -> None:
    import exifread

    tags = exifread.process_file(io.BytesIO(view.head), details=True, extract_thumbnail=False)
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


def read_png_text(view: Sparse, found: Found) -> None:
    """tEXt, zTXt and iTXt chunks (keyword and text) and the tIME chunk (no library reads these
    without decoding the picture)."""
    head, offset = view.head, 8
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
            flag, rest = rest[0:1], rest[2:]
            _language, _translated, rest = ([*rest.split(b"\x00", 2), b"", b""])[:3]
            if flag == b"\x01":
                rest = zlib.decompressobj().decompress(rest, 64 * 1024)
        found.add("png", keyword.decode("latin-1"), rest.decode("utf-8" if kind == b"iTXt" else "latin-1", "replace"))


# --- PDF (pypdf) -------------------------------------------------------------------------------

_XMP_FIELDS: tuple[tuple[str, str, str | None], ...] = (
    ("dc_creator", "dc:creator", "author"), ("dc_contributor", "dc:contributor", "author"),
    ("dc_publisher", "dc:publisher", None), ("dc_rights", "dc:rights", None), ("dc_title", "dc:title", None),
    ("dc_description", "dc:description", None), ("xmp_creator_tool", "xmp:CreatorTool", None),
    ("pdf_producer", "pdf:Producer", None), ("pdf_keywords", "pdf:Keywords", None),
    ("xmp_create_date", "xmp:CreateDate", None), ("xmp_modify_date", "xmp:ModifyDate", None),
    ("xmp_metadata_date", "xmp:MetadataDate", None), ("xmpmm_document_id", "xmpMM:DocumentID", None),
)


def _xmp_value(value: object) -> str:
    if isinstance(value, dict):
        return "; ".join(str(v) for v in value.values())
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def read_pdf(view: Sparse, found: Found) -> None:
    """The document information dictionary and the XMP packet, read by pypdf."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(view.head), strict=False)
    if reader.is_encrypted:
        found.add("pdf", "Encrypted", "yes")
        if not reader.decrypt(""):  # most "encrypted" PDFs only restrict printing: no user password
            raise PermissionError("encrypted")
    for key, value in (reader.metadata or {}).items():
        name = str(key).lstrip("/")
        found.add("pdf", name, value, identifies="author" if name == "Author" else None)
    xmp = reader.xmp_metadata
    if xmp is None:
        return
    for attribute, label, identifies in _XMP_FIELDS:
        with contextlib.suppress(Exception):  # one malformed property does not hide the others
            value = getattr(xmp, attribute)
            if value:
                found.add("xmp", label, _xmp_value(value), identifies=identifies)


# --- Office documents (python-docx's XML parser: no entities, no network) ------------------------

_PART_MAX = 256 * 1024


def _xml(data: bytes) -> Any:
    from docx.oxml.parser import parse_xml

    return parse_xml(data)


def _part(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        handle = archive.open(name)
    except KeyError:
        return None
    with handle:
        data = handle.read(_PART_MAX + 1)  # read, not trusted from the header: no bomb
    if len(data) > _PART_MAX:
        raise ValueError("part too large")
    return data


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


_CORE = (("author", "creator", "author"), ("last_modified_by", "lastModifiedBy", "author"),
         ("created", "created", None), ("modified", "modified", None), ("last_printed", "lastPrinted", None),
         ("revision", "revision", None), ("title", "title", None), ("subject", "subject", None),
         ("keywords", "keywords", None), ("comments", "description", None), ("category", "category", None),
         ("content_status", "contentStatus", None), ("identifier", "identifier", None))
_APP = {"Company": None, "Manager": "author", "Application": None, "AppVersion": None, "Template": None,
        "TotalTime": None, "HyperlinkBase": None}
_ODF_META = {"initial-creator": "author", "creator": "author", "creation-date": None, "date": None,
             "generator": None, "editing-cycles": None, "editing-duration": None, "printed-by": "author",
             "print-date": None, "title": None, "subject": None}


def read_office(view: Sparse, found: Found) -> None:
    """An Office Open XML document's core, extended and custom properties (author, last editor,
    company, dates, revision), or an OpenDocument's meta.xml. Only these parts are read, each
    capped, from the zip in memory; nothing else is unpacked."""
    from docx.opc.coreprops import CoreProperties

    with zipfile.ZipFile(io.BytesIO(view.head)) as archive:
        core = _part(archive, "docProps/core.xml")
        if core is not None:
            properties = CoreProperties(_xml(core))
            for attribute, label, identifies in _CORE:
                value = getattr(properties, attribute)
                if value not in (None, "", 0):
                    found.add("office", label, value.isoformat() if isinstance(value, dt.datetime) else value,
                              identifies=identifies)
        app = _part(archive, "docProps/app.xml")
        if app is not None:
            for element in _xml(app):
                name = _local(element.tag)
                if name in _APP and element.text:
                    found.add("office", name, element.text, identifies=_APP[name])
        custom = _part(archive, "docProps/custom.xml")
        if custom is not None:
            for element in _xml(custom):
                name = element.get("name") or ""
                found.add("office custom", name, "".join(element.itertext()))
        meta = _part(archive, "meta.xml")
        if meta is not None:
            for element in _xml(meta).iter():
                name = _local(element.tag)
                if name in _ODF_META and element.text:
                    found.add("opendocument", name, element.text, identifies=_ODF_META[name])
                elif name == "user-defined":
                    found.add("opendocument", str(element.get(next(iter(element.attrib), ""), "")), element.text or "")


# --- MP4 / QuickTime: the moov box, wherever it is -----------------------------------------------

_MAC_EPOCH = dt.datetime(1904, 1, 1, tzinfo=dt.UTC)
_ISO6709 = re.compile(r"([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")
_QT_TEXT = {b"\xa9xyz": "location", b"\xa9mak": "make", b"\xa9mod": "model", b"\xa9swr": "software",
            b"\xa9day": "date", b"\xa9nam": "title", b"\xa9ART": "artist", b"\xa9aut": "author",
            b"\xa9cmt": "comment", b"\xa9too": "encoder"}
_APPLE_KEYS = {"com.apple.quicktime.location.ISO6709": "location", "com.apple.quicktime.make": "make",
               "com.apple.quicktime.model": "model", "com.apple.quicktime.software": "software",
               "com.apple.quicktime.creationdate": "date", "com.apple.quicktime.author": "author",
               "com.apple.quicktime.artist": "artist", "com.apple.quicktime.displayname": "title"}
_MP4_IDENTIFYING = {"author": "author", "artist": "author", "location": "gps"}


def _iso6709_part(text: str, degree_digits: int) -> float:
    sign = -1.0 if text[0] == "-" else 1.0
    whole, _dot, fraction = text[1:].partition(".")
    extra = len(whole) - degree_digits  # ±DD.D, ±DDMM.M or ±DDMMSS.S (latitude; one more digit for longitude)
    value = float(whole + ("." + fraction if fraction else ""))
    if extra == 2:
        value = int(value / 100) + (value % 100) / 60
    elif extra == 4:
        value = int(value / 10000) + (int(value / 100) % 100) / 60 + (value % 100) / 3600
    return round(sign * value, 7)


def iso6709(text: str) -> dict[str, float] | None:
    match = _ISO6709.match(text.strip())
    if match is None:
        return None
    try:
        latitude, longitude = _iso6709_part(match.group(1), 2), _iso6709_part(match.group(2), 3)
    except ValueError:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return {"latitude": latitude, "longitude": longitude}


def _boxes(data: bytes) -> Iterable[tuple[bytes, bytes]]:
    """The boxes inside a box's body: (type, body)."""
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        header = 8
        if size == 1 and offset + 16 <= len(data):
            size, header = struct.unpack(">Q", data[offset + 8:offset + 16])[0], 16
        elif size == 0:
            size = len(data) - offset
        if size < header or offset + size > len(data):
            return
        yield kind, data[offset + header:offset + size]
        offset += size


def _mp4_add(found: Found, name: str, value: str) -> None:
    if name == "location":
        gps = iso6709(value)
        if gps is not None:
            found.gps = gps
    found.add("mp4", name, value, identifies=_MP4_IDENTIFYING.get(name))


def _mvhd(body: bytes, found: Found) -> None:
    if body[:1] == b"\x01" and len(body) >= 32:
        created, modified, scale, duration = struct.unpack(">QQIQ", body[4:32])
    elif len(body) >= 20:
        created, modified, scale, duration = struct.unpack(">IIII", body[4:20])
    else:
        return
    for name, seconds in (("created", created), ("modified", modified)):
        if seconds:
            found.add("mp4", name, (_MAC_EPOCH + dt.timedelta(seconds=seconds)).isoformat())
    if scale:
        found.add("mp4", "duration", f"{duration / scale:.3f} s")


def _meta(body: bytes, found: Found) -> None:
    """An Apple 'mdta' metadata box (keys + ilst) or an iTunes-style ilst."""
    if body[4:8] not in {b"hdlr", b"keys", b"ilst"}:
        body = body[4:]  # the ISO form is a full box (version and flags)
    keys: list[str] = []
    for kind, child in _boxes(body):
        if kind == b"keys" and len(child) >= 8:
            for _entry_kind, entry in _boxes(child[8:]):
                keys.append(entry.decode("utf-8", "replace"))
        elif kind == b"ilst":
            for item_kind, item in _boxes(child):
                index = struct.unpack(">I", item_kind)[0]
                key = keys[index - 1] if keys and 0 < index <= len(keys) else None
                name = _APPLE_KEYS.get(key, key) if key else _QT_TEXT.get(item_kind, item_kind.decode("latin-1"))
                for data_kind, data in _boxes(item):
                    if data_kind == b"data" and len(data) > 8 and data[:4] in {b"\0\0\0\x01", b"\0\0\0\x00"}:
                        _mp4_add(found, name, data[8:].decode("utf-8", "replace"))


def _moov(moov: bytes, found: Found) -> None:
    for kind, body in _boxes(moov):
        if kind == b"mvhd":
            _mvhd(body, found)
        elif kind == b"meta":
            _meta(body, found)
        elif kind == b"udta":
            for child_kind, child in _boxes(body):
                if child_kind in _QT_TEXT and len(child) > 4:
                    length = struct.unpack(">H", child[:2])[0]
                    _mp4_add(found, _QT_TEXT[child_kind], child[4:4 + length].decode("utf-8", "replace"))
                elif child_kind == b"meta":
                    _meta(child, found)


def read_mp4(view: Sparse, found: Found) -> None:
    """The top-level boxes are walked by their sizes (the middle of the file is not needed), and
    the ``moov`` box, at the beginning or at the end, gives the dates (mvhd), the place (©xyz, or
    Apple's ISO 6709 location key), the device and the software."""
    offset = 0
    while offset + 8 <= view.size:
        header = view.get(offset, 16) or view.get(offset, 8)
        if header is None:
            return
        size, kind = struct.unpack(">I4s", header[:8])
        length = 8
        if size == 1:
            if len(header) < 16:
                return
            size, length = struct.unpack(">Q", header[8:16])[0], 16
        elif size == 0:
            size = view.size - offset
        if size < length:
            raise ValueError("bad box")
        if kind == b"moov":
            body = view.get(offset + length, size - length)
            if body is None:
                return
            _moov(body, found)
            found.moov_read = True
            return
        offset += size


def read_hachoir(view: Sparse, found: Found) -> None:
    from hachoir.core import config as hachoir_config  # type: ignore[import-untyped]
    from hachoir.metadata import extractMetadata  # type: ignore[import-untyped]
    from hachoir.parser import guessParser  # type: ignore[import-untyped]
    from hachoir.stream import InputIOStream  # type: ignore[import-untyped]

    hachoir_config.quiet = True
    parser = guessParser(InputIOStream(io.BytesIO(view.head), source="evidence", tags=[]))
    if parser is None:
        return
    with parser:
        extracted = extractMetadata(parser)
    if extracted is None:
        return
    for item in extracted:
        for value in item.values:
            found.add(type(parser).__name__.removesuffix("File").lower() or "file", item.key, value.text)


_EXIF_TYPES = ("image/jpeg", "image/heic", "image/webp", "image/png", "image/tiff")
# Types no reader here understands, so not given to hachoir for nothing (RTF: no parser reads its \info).
_NOT_PARSED = ("text/", "application/zip", "application/x-archive", "image/svg+xml", "application/xml",
               "application/rtf")


def is_mp4(media_type: str, head: bytes) -> bool:
    return media_type in MP4_TYPES or (media_type == "application/octet-stream" and head[4:8] in QUICKTIME_FIRST_BOXES)


def extract(view: Sparse, media_type: str, *, complete: bool) -> dict[str, Any]:
    found = Found()
    readers: list[tuple[str, Callable[[Sparse, Found], None]]] = []
    if media_type in _EXIF_TYPES or view.head[:4] in {b"II*\0", b"MM\0*"}:
        readers.append(("exif", read_exif))
    if media_type == "image/png":
        readers.append(("png", read_png_text))
    if media_type == "application/pdf":
        readers.append(("pdf", read_pdf))
    elif media_type == OOXML:
        if complete:  # a zip's directory is at its end
            readers.append(("office", read_office))
    elif is_mp4(media_type, view.head):
        readers += [("mp4", read_mp4), ("hachoir", read_hachoir)]
    elif media_type not in _EXIF_TYPES and not media_type.startswith(_NOT_PARSED):
        readers.append(("hachoir", read_hachoir))
    for name, reader in readers:
        try:
            reader(view, found)
        except Exception as error:  # a malformed file: the reader is named, never quoted
            if out_of_memory(error):
                raise MemoryError from error  # past the limit the child answers nothing (main exits 3)
            found.unreadable.append(name)
    partial = not complete and not (found.moov_read and view.tail)
    return {"fields": found.fields, "gps": found.gps, "identifying": sorted(found.identifying),
            "partial": partial, "unreadable": found.unreadable}


# --- working copies ----------------------------------------------------------------------------


class Refused(Exception):  # a reason, not a failure
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def strip_pdf(data: bytes, removed: set[str]) -> bytes:
    """The same pages (and outlines, forms, annotations), without the information dictionary, the
    XMP packets (document and pages) and applications' private data; unreferenced objects dropped."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Refused("encrypted")
        writer = PdfWriter(clone_from=reader)
    except PdfReadError as error:
        raise Refused("malformed") from error
    if reader.metadata:
        removed.add("info")
    writer.metadata = None
    holders = [writer._root_object, *(page for page in writer.pages)]  # pypdf's catalog
    for holder in holders:
        for key, label in (("/Metadata", "xmp"), ("/PieceInfo", "pieceinfo")):
            if key in holder:
                del holder[key]
                removed.add(label)
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


_EMPTY_CORE = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
               b'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
               b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
               b'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>')
_EMPTY_CUSTOM = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
                 b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
                 b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>')
_EMPTIED = {"docProps/core.xml": _EMPTY_CORE, "docProps/custom.xml": _EMPTY_CUSTOM}
_APP_DROPPED = {"Company", "Manager", "Template", "TotalTime", "HyperlinkBase"}
# Who wrote a comment or a tracked change, and the people list behind them (Word, Excel, PowerPoint).
_PERSON_ATTRIBUTES = {"author", "initials", "userId", "providerId", "displayName", "date", "dateUtc"}
_UNPACKED_MAX = 256 * 1024 * 1024


def _serialize(root: Any) -> bytes:
    from lxml import etree  # type: ignore[import-untyped]

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _clean_app(data: bytes, removed: set[str]) -> bytes:
    root = _xml(data)
    for element in list(root):
        if _local(element.tag) in _APP_DROPPED:
            root.remove(element)
            removed.add(f"app:{_local(element.tag)}")
    return _serialize(root)


def _clean_people(name: str, data: bytes, removed: set[str]) -> bytes | None:
    """A part with the names of who commented or changed what, those names blanked; None if none."""
    root = _xml(data)
    changed = False
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in list(element.attrib):
            local = _local(attribute)
            if local in _PERSON_ATTRIBUTES or (local == "name" and name.startswith("ppt/commentAuthors")):
                if local.startswith("date"):
                    del element.attrib[attribute]
                else:
                    element.set(attribute, "")
                changed = True
        if name.startswith("xl/comments") and _local(element.tag) == "author" and element.text:
            element.text = ""
            changed = True
    if not changed:
        return None
    removed.add("authors")
    return _serialize(root)


def _people_part(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(".xml") and (lowered.startswith("word/") or (
        lowered.startswith(("xl/", "ppt/")) and any(w in lowered for w in ("comment", "person", "people"))))


def _thumbnail(name: str) -> bool:
    """The package's preview picture (``docProps/thumbnail.jpeg``/.emf/.wmf): a picture of the
    first page made by whatever saved it, which may carry its own EXIF."""
    return name.lower().startswith("docprops/thumbnail.")


def _drop_thumbnail_relationship(data: bytes) -> bytes:
    """The package's relationships without the one that points at the preview picture."""
    root = _xml(data)
    for element in list(root):
        if _thumbnail(str(element.get("Target") or "").lstrip("/")):
            root.remove(element)
    return _serialize(root)


def strip_office(data: bytes, removed: set[str]) -> bytes:
    """Every part copied as it is, except: core properties emptied, the extended properties'
    company, manager, template and editing time dropped, custom properties emptied, the names
    (and dates) on comments and tracked changes blanked, and the preview picture left out (with
    its relationship). Entry times are set to 1980."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        names = source.namelist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise Refused("malformed") from error
    if "docProps/core.xml" not in names and "[Content_Types].xml" not in names:
        raise Refused("type")  # not Office Open XML (an OpenDocument file, say)
    output = io.BytesIO()
    budget = _UNPACKED_MAX
    with source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            with source.open(info) as handle:
                content = handle.read(budget + 1)
            budget -= len(content)
            if budget < 0:
                raise Refused("malformed")  # a zip bomb, not a document
            name = info.filename
            if _thumbnail(name):
                removed.add("thumbnail")
                continue
            if name == "_rels/.rels" and any(_thumbnail(other) for other in names):
                content = _drop_thumbnail_relationship(content)
            elif name in _EMPTIED:
                content = _EMPTIED[name]
                removed.add(name.removeprefix("docProps/").removesuffix(".xml"))
            elif name == "docProps/app.xml":
                content = _clean_app(content, removed)
            elif _people_part(name):
                content = _clean_people(name, content, removed) or content
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            stored = info.compress_type == zipfile.ZIP_STORED
            entry.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, content)
    return output.getvalue()


STRIP = {"application/pdf": strip_pdf, OOXML: strip_office}


# --- the protocol ------------------------------------------------------------------------------


def _read(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError
    return data


def main(argv: list[str], stdin: BinaryIO, stdout: BinaryIO) -> int:
    limit_self(int(argv[1]), int(argv[2]))
    request = json.loads(stdin.readline(4096))
    head = _read(stdin, int(request["head"]))
    tail = _read(stdin, int(request["tail"]))
    media_type = str(request["media_type"])
    if request["mode"] == "extract":
        view = Sparse(head, tail, int(request["size"]))
        answer = extract(view, media_type, complete=bool(request["complete"]))
        stdout.write(json.dumps(answer, ensure_ascii=False).encode() + b"\n")
        return 0
    removed: set[str] = set()
    try:
        stripper = STRIP.get(media_type)
        if stripper is None:
            raise Refused("type")
        cleaned = stripper(head, removed)
    except Refused as refusal:
        stdout.write(json.dumps({"refused": refusal.reason}).encode() + b"\n")
        return 0
    except Exception as error:  # the library could not read it: never quoted
        if out_of_memory(error):
            raise MemoryError from error
        stdout.write(json.dumps({"refused": "malformed"}).encode() + b"\n")
        return 0
    stdout.write(json.dumps({"removed": sorted(removed)}).encode() + b"\n")
    stdout.write(cleaned)
    return 0


OUT_OF_MEMORY = 3  # the exit status the parent reads as "memory"


if __name__ == "__main__":
    try:
        status = main(sys.argv, sys.stdin.buffer, sys.stdout.buffer)
    except MemoryError:
        status = OUT_OF_MEMORY
    sys.stdout.flush()
    os._exit(status)  # no clean-up that could allocate or print
