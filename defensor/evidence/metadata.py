"""What a file says about itself (EXIF, document properties, a video's place and dates), read
when the file is ingested and kept in the item's sealed ``metadata`` field; and whether that could
identify our client.

The parsing happens in a child process (``evidence.metadata_child``), never in the server: the
parsers are maintained libraries (ExifRead for images, pypdf for a PDF's information dictionary
and XMP, python-docx's core-properties reader and hardened XML parser for Office documents,
hachoir for audio, video and OLE files) plus small readers of ours where no library reads without
decoding (a PNG's text chunks, an MP4's ``moov`` box). They are fed untrusted bytes, so the child
limits its memory, CPU and files (see its docstring), gets the plaintext over a pipe (never a
temporary file) and an empty environment, and is killed after ``DEFENSOR_EVIDENCE_METADATA_TIMEOUT``
seconds. A child that times out, is killed by its limits or crashes leaves the record
``{"unreadable": ["all"], "failure": "timeout" | "memory" | "cpu" | "crashed"}``: the upload goes on, and the item
page and the case's list say that the metadata was not fully checked.

How much is read: the first ``DEFENSOR_EVIDENCE_METADATA_BYTES`` of the plaintext (16 MB by
default), decrypted from the sealed blob into memory. That is the whole file for nearly every photo
and document. For a larger MP4 or QuickTime video, whose ``moov`` box (dates, place, device) is
usually at the END, the rest is decrypted too and its last ``DEFENSOR_EVIDENCE_METADATA_BYTES`` are
kept (a rolling buffer: memory stays flat) and given to the child with the beginning. For other
large files only the beginning is read and the record says ``partial``.

The stored JSON (sealed): ``{"fields": [{"group", "key", "value"}], "gps": {"latitude",
"longitude"} | null, "identifying": [codes], "partial": bool, "unreadable": [reader names],
"failure"?: code}``; for a working copy, ``derived_from`` (evidence.derive); for a saved public
source, ``captured_zone``, the zone its time of capture was given in (evidence.public_source).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from defensor.keys.streams import decrypt_chunks

DEFAULT_HEAD_BYTES = 16 * 1024 * 1024
CHILD = Path(__file__).with_name("metadata_child.py")
OOXML = "application/vnd.openxmlformats-officedocument"
MP4_TYPES = ("video/mp4", "video/quicktime")
_QUICKTIME_FIRST_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}

# What could identify our client (the codes stored; labels for the warning).
IDENTIFYING_LABELS = {
    "gps": _("location (GPS coordinates)"),
    "device_serial": _("the device's serial number"),
    "owner": _("the device owner's name"),
    "author": _("an author's name"),
}


def head_bytes_limit() -> int:
    return int(getattr(settings, "DEFENSOR_EVIDENCE_METADATA_BYTES", DEFAULT_HEAD_BYTES))


@dataclass(frozen=True)
class Limits:
    """The child's limits: CPU seconds and address space (enforced by the kernel), wall clock."""

    cpu_seconds: int
    memory_bytes: int
    timeout: float


def child_limits(*, strip: bool = False) -> Limits:
    """Reading metadata gets a few CPU seconds; rewriting a whole PDF or Office document more."""
    cpu = int(getattr(settings, "DEFENSOR_EVIDENCE_METADATA_CPU_SECONDS", 5)) * (6 if strip else 1)
    memory = int(getattr(settings, "DEFENSOR_EVIDENCE_METADATA_MEMORY_MB", 512)) * 1024 * 1024
    timeout = float(getattr(settings, "DEFENSOR_EVIDENCE_METADATA_TIMEOUT", 15)) * (4 if strip else 1)
    return Limits(cpu_seconds=cpu, memory_bytes=memory, timeout=timeout)


# How the child ended, as recorded: its memory limit (it exits 3), its CPU limit (SIGXCPU from the
# kernel), anything else (a crash, SIGKILL) is "crashed"; the wall clock gives "timeout".
_EXIT_CODES = {3: "memory", -signal.SIGXCPU: "cpu"}


class ChildFailed(Exception):  # carries the code recorded
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def run_child(request: dict[str, Any], head: bytes, tail: bytes, limits: Limits) -> bytes:
    """Run ``metadata_child`` on ``head`` + ``tail`` (see its docstring) and return its stdout.
    ``ChildFailed("timeout")`` if it was killed for taking too long, ``"memory"`` or ``"cpu"`` if it
    reached a limit, ``"crashed"`` if it died otherwise. Its stderr is discarded: it may quote
    the file."""
    header = json.dumps({**request, "head": len(head), "tail": len(tail)}).encode() + b"\n"
    command = [sys.executable, "-I", "-B", str(CHILD), str(limits.cpu_seconds), str(limits.memory_bytes)]
    try:
        done = subprocess.run(  # noqa: S603 - our own script, no shell, arguments are numbers
            command, input=b"".join((header, head, tail)), capture_output=True, timeout=limits.timeout,
            env={}, cwd="/", check=False)
    except subprocess.TimeoutExpired as error:  # run() has killed it
        raise ChildFailed("timeout") from error
    except OSError as error:
        raise ChildFailed("crashed") from error
    if done.returncode != 0:
        raise ChildFailed(_EXIT_CODES.get(done.returncode, "crashed"))
    return done.stdout


def read_head_and_tail(path: Path, key: bytes, limit: int, *,
                       wants_tail: Callable[[bytes], bool] = lambda head: False) -> tuple[bytes, bytes, int, bool]:
    """The first ``limit`` bytes of a sealed blob's plaintext, in memory; and, if ``wants_tail``
    says so once the head is read, also its last ``limit`` bytes after those (the rest is decrypted
    and passed over in one pass, in constant memory). Returns (head, tail, size, complete):
    ``complete`` when the head is the whole file; ``size`` is the file's size when it was read to
    its end, else the head's."""
    head = bytearray()
    tail: deque[bytes] = deque()
    kept = size = 0
    with_tail: bool | None = None
    chunks = decrypt_chunks(path, key)
    try:
        for chunk in chunks:
            size += len(chunk)
            room = limit - len(head)
            if room > 0:
                head += chunk[:room]
                chunk = chunk[room:]
            if not chunk:
                continue
            if with_tail is None:
                with_tail = wants_tail(bytes(head))
            if not with_tail:
                return bytes(head), b"", len(head), False
            tail.append(chunk)
            kept += len(chunk)
            while kept - len(tail[0]) >= limit:
                kept -= len(tail.popleft())
    finally:
        chunks.close()  # type: ignore[attr-defined]
    rest = b"".join(tail)
    return bytes(head), rest[-limit:], size, not rest


def is_video_with_moov(media_type: str, head: bytes) -> bool:
    return media_type in MP4_TYPES or (media_type == "application/octet-stream" and head[4:8] in _QUICKTIME_FIRST_BOXES)


def _unreadable(code: str, *, partial: bool) -> dict[str, Any]:
    return {"fields": [], "gps": None, "identifying": [], "partial": partial, "unreadable": ["all"], "failure": code}


def extract(head: bytes, media_type: str, *, complete: bool, tail: bytes = b"", size: int | None = None
            ) -> dict[str, Any]:
    """What a file says about itself, read by the child from its beginning (all of it when
    ``complete``) and, for a video, its end."""
    request = {"mode": "extract", "media_type": media_type, "complete": complete,
               "size": size if size is not None else len(head) + len(tail)}
    try:
        answer = run_child(request, head, tail, child_limits())
        found = json.loads(answer)
    except ChildFailed as failure:
        return _unreadable(failure.code, partial=not complete)
    except ValueError:  # it died while answering (its memory limit)
        return _unreadable("crashed", partial=not complete)
    return {key: found.get(key) for key in ("fields", "gps", "identifying", "partial", "unreadable")}


def blob_metadata(path: Path, key: bytes, media_type: str) -> str:
    """The sealed ``metadata`` JSON for a blob just sealed (the ingest hook in services._item_record)."""
    limit = head_bytes_limit()
    head, tail, size, complete = read_head_and_tail(
        path, key, limit, wants_tail=lambda head: is_video_with_moov(media_type, head))
    return json.dumps(extract(head, media_type, complete=complete, tail=tail, size=size), ensure_ascii=False)


def identifying(metadata_json: str | None) -> list[str]:
    """The codes of what in an item's metadata could identify our client."""
    if not metadata_json:
        return []
    try:
        return [str(code) for code in json.loads(metadata_json).get("identifying", [])]
    except (ValueError, AttributeError):
        return []


def not_fully_checked(metadata_json: str | None) -> bool:
    """True when part of the file was not read for metadata (too large, a reader failed, or the
    child was stopped): no warning then does not mean no location or name."""
    if not metadata_json:
        return True
    try:
        metadata = json.loads(metadata_json)
        return bool(metadata.get("partial") or metadata.get("unreadable"))
    except (ValueError, AttributeError):
        return True


# --- on the item page: fields a lawyer reads, in words ---------------------------------------------
#
# The parsers' own names ("EXIF BodySerialNumber", "xmp:CreateDate") stay in the sealed record; the
# page shows the fields a lawyer asks about under a label, their dates as dd.mm.yyyy HH:MM:SS with
# the zone when the file gives one, and every field as stored (offsets, thumbnails' sizes and the
# rest) under "all fields as stored".

# How a value is shown: as it is, a date, an EXIF GPS coordinate or time, an altitude.
TEXT, DATE, COORDINATE, GPS_TIME, ALTITUDE = "text", "date", "coordinate", "gps_time", "altitude"

_CAMERA_MAKE, _CAMERA_MODEL = _("Camera make"), _("Camera model")
_SERIAL, _OWNER = _("Serial number"), _("Owner")
_AUTHOR, _CREATOR_TOOL, _PRODUCER = _("Author"), _("Created with (program)"), _("Producer (program)")
_CREATED, _MODIFIED = _("Created"), _("Modified")
_TITLE, _SOFTWARE = _("Title"), _("Software")
_LOCATION, _DURATION = _("Location"), _("Duration")

# (group, key as stored) → (label, how shown). Other groups (what hachoir read: "mp3", "mov", "avi"…)
# are looked up by key alone in HACHOIR_LABELS.
FIELD_LABELS: dict[tuple[str, str], tuple[Any, str]] = {
    ("exif", "Image Make"): (_CAMERA_MAKE, TEXT),
    ("exif", "Image Model"): (_CAMERA_MODEL, TEXT),
    ("exif", "EXIF BodySerialNumber"): (_SERIAL, TEXT),
    ("exif", "Image CameraSerialNumber"): (_SERIAL, TEXT),
    ("exif", "MakerNote SerialNumber"): (_SERIAL, TEXT),
    ("exif", "MakerNote InternalSerialNumber"): (_SERIAL, TEXT),
    ("exif", "EXIF CameraOwnerName"): (_OWNER, TEXT),
    ("exif", "Image CameraOwnerName"): (_OWNER, TEXT),
    ("exif", "MakerNote OwnerName"): (_OWNER, TEXT),
    ("exif", "Image Artist"): (_AUTHOR, TEXT),
    ("exif", "Image XPAuthor"): (_AUTHOR, TEXT),
    ("exif", "Image Copyright"): (_("Copyright"), TEXT),
    ("exif", "EXIF DateTimeOriginal"): (_("Date taken"), DATE),
    ("exif", "EXIF DateTimeDigitized"): (_("Date digitised"), DATE),
    ("exif", "Image DateTime"): (_("Date changed (by the camera or a program)"), DATE),
    ("exif", "Image Software"): (_SOFTWARE, TEXT),
    ("exif", "GPS GPSLatitude"): (_("GPS latitude"), COORDINATE),
    ("exif", "GPS GPSLongitude"): (_("GPS longitude"), COORDINATE),
    ("exif", "GPS GPSAltitude"): (_("GPS altitude"), ALTITUDE),
    ("exif", "GPS GPSTimeStamp"): (_("GPS time (UTC)"), GPS_TIME),
    ("exif", "GPS GPSDate"): (_("GPS date"), DATE),
    ("exif", "EXIF LensMake"): (_("Lens make"), TEXT),
    ("exif", "EXIF LensModel"): (_("Lens"), TEXT),
    ("exif", "EXIF LensSerialNumber"): (_("Lens serial number"), TEXT),
    ("exif", "Image ImageDescription"): (_("Description"), TEXT),
    ("pdf", "Author"): (_AUTHOR, TEXT),
    ("pdf", "Creator"): (_CREATOR_TOOL, TEXT),
    ("pdf", "Producer"): (_PRODUCER, TEXT),
    ("pdf", "CreationDate"): (_CREATED, DATE),
    ("pdf", "ModDate"): (_MODIFIED, DATE),
    ("pdf", "Title"): (_TITLE, TEXT),
    ("pdf", "Subject"): (_("Subject"), TEXT),
    ("pdf", "Encrypted"): (_("Protected with a password"), TEXT),
    ("xmp", "dc:creator"): (_AUTHOR, TEXT),
    ("xmp", "dc:title"): (_TITLE, TEXT),
    ("xmp", "xmp:CreatorTool"): (_CREATOR_TOOL, TEXT),
    ("xmp", "pdf:Producer"): (_PRODUCER, TEXT),
    ("xmp", "xmp:CreateDate"): (_CREATED, DATE),
    ("xmp", "xmp:ModifyDate"): (_MODIFIED, DATE),
    ("office", "creator"): (_AUTHOR, TEXT),
    ("office", "lastModifiedBy"): (_("Last modified by"), TEXT),
    ("office", "created"): (_CREATED, DATE),
    ("office", "modified"): (_MODIFIED, DATE),
    ("office", "lastPrinted"): (_("Last printed"), DATE),
    ("office", "title"): (_TITLE, TEXT),
    ("office", "Company"): (_("Company"), TEXT),
    ("office", "Manager"): (_("Manager"), TEXT),
    ("office", "Application"): (_CREATOR_TOOL, TEXT),
    ("opendocument", "initial-creator"): (_AUTHOR, TEXT),
    ("opendocument", "creator"): (_("Last modified by"), TEXT),
    ("opendocument", "creation-date"): (_CREATED, DATE),
    ("opendocument", "date"): (_MODIFIED, DATE),
    ("opendocument", "generator"): (_CREATOR_TOOL, TEXT),
    ("opendocument", "printed-by"): (_("Last printed by"), TEXT),
    ("mp4", "created"): (_("Creation date"), DATE),
    ("mp4", "date"): (_("Creation date (device)"), DATE),
    ("mp4", "modified"): (_MODIFIED, DATE),
    ("mp4", "duration"): (_DURATION, TEXT),
    ("mp4", "location"): (_LOCATION, TEXT),
    ("mp4", "make"): (_("Device make"), TEXT),
    ("mp4", "model"): (_("Device model"), TEXT),
    ("mp4", "software"): (_SOFTWARE, TEXT),
    ("mp4", "author"): (_AUTHOR, TEXT),
    ("mp4", "artist"): (_("Artist"), TEXT),
    ("mp4", "title"): (_TITLE, TEXT),
    ("png", "tIME"): (_MODIFIED, DATE),
    ("png", "Author"): (_AUTHOR, TEXT),
    ("png", "Software"): (_SOFTWARE, TEXT),
    ("png", "Creation Time"): (_CREATED, TEXT),
    ("png", "Title"): (_TITLE, TEXT),
    ("png", "Description"): (_("Description"), TEXT),
    ("png", "Comment"): (_("Comment"), TEXT),
    ("mp4", "comment"): (_("Comment"), TEXT),
}
HACHOIR_LABELS: dict[str, tuple[Any, str]] = {
    "creation_date": (_("Creation date"), DATE),
    "last_modification": (_MODIFIED, DATE),
    "duration": (_DURATION, TEXT),
    "author": (_AUTHOR, TEXT),
    "artist": (_("Artist"), TEXT),
    "producer": (_PRODUCER, TEXT),
    "title": (_TITLE, TEXT),
    "camera_manufacturer": (_("Device make"), TEXT),
    "camera_model": (_("Device model"), TEXT),
    "latitude": (_("GPS latitude"), TEXT),
    "longitude": (_("GPS longitude"), TEXT),
    "altitude": (_("GPS altitude"), TEXT),
}
_READERS = {"exif", "pdf", "xmp", "office", "office custom", "opendocument", "mp4", "png"}

_EXIF_DATE = re.compile(r"(\d{4}):(\d{2}):(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?")
_EXIF_OFFSET = {"EXIF DateTimeOriginal": "EXIF OffsetTimeOriginal",
                "EXIF DateTimeDigitized": "EXIF OffsetTimeDigitized", "Image DateTime": "EXIF OffsetTime"}


@dataclass(frozen=True)
class ShownField:
    label: str
    value: str


def _zone_of(offset: dt.timedelta | None) -> str:
    if offset is None:
        return ""
    if not offset:
        return "UTC"
    sign = "+" if offset > dt.timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _offset(text: str) -> dt.timedelta | None:
    """"+03:00", "+0300", "+03'00'", "Z" as an offset; None if it is none of these."""
    match = re.fullmatch(r"([+-])(\d{2}):?'?(\d{2})'?", text.strip())
    if text.strip() == "Z":
        return dt.timedelta(0)
    if match is None:
        return None
    minutes = int(match.group(2)) * 60 + int(match.group(3))
    return dt.timedelta(minutes=-minutes if match.group(1) == "-" else minutes)


def show_date(text: str, *, zone: str = "") -> str:
    """An EXIF ("2025:11:03 10:00:00"), PDF ("D:20251103100000+03'00'") or ISO 8601 date as
    dd.mm.yyyy HH:MM:SS, and its zone in brackets when the file gives one; as stored if none of these."""
    value = text.strip()
    # A wall-clock time as the file states it (naive); its offset, when there is one, is said beside it.
    moment: dt.datetime
    offset = _offset(zone) if zone else None
    if match := _EXIF_DATE.match(value):
        parts = [int(part or 0) for part in match.groups()]
        with_time = match.group(4) is not None
        try:
            moment = dt.datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])  # noqa: DTZ001
        except ValueError:
            return value
        if not with_time:
            return f"{moment:%d.%m.%Y}"
    elif match := _PDF_DATE.match(value):
        parts = [int(part) if part else default for part, default in zip(match.groups()[:6], (0, 1, 1, 0, 0, 0),
                                                                         strict=True)]
        try:
            moment = dt.datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])  # noqa: DTZ001
        except ValueError:
            return value
        if match.group(7):
            offset = _offset(match.group(7))
    else:
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        except ValueError:
            return value
        moment, offset = parsed.replace(tzinfo=None), parsed.utcoffset()
    shown = f"{moment:%d.%m.%Y %H:%M:%S}"
    zone_text = _zone_of(offset)
    return f"{shown} ({zone_text})" if zone_text else shown


def _number(text: str) -> float:
    numerator, _slash, denominator = text.strip().partition("/")
    return float(numerator) / float(denominator) if denominator else float(numerator)


def _numbers(text: str) -> list[float]:
    return [_number(part) for part in text.strip().strip("[]").split(",") if part.strip()]


def show_coordinate(text: str, ref: str) -> str:
    """ExifRead's "[55, 45, 123/10]" and its reference letter as 55° 45′ 12.3″ N."""
    try:
        degrees, minutes, seconds = ([*_numbers(text), 0.0, 0.0, 0.0])[:3]
    except (ValueError, ZeroDivisionError):
        return text
    return f"{degrees:g}° {minutes:g}′ {round(seconds, 3):g}″ {ref}".strip()


def show_gps_time(text: str) -> str:
    try:
        hours, minutes, seconds = ([*_numbers(text), 0.0, 0.0, 0.0])[:3]
    except (ValueError, ZeroDivisionError):
        return text
    return f"{int(hours):02d}:{int(minutes):02d}:{int(seconds):02d}"


def show_altitude(text: str, ref: str) -> str:
    try:
        metres = _number(text.strip("[]"))
    except (ValueError, ZeroDivisionError):
        return text
    below = ref.strip() in {"1", "Below Sea Level"}
    return str(_("%(metres)s m below sea level") if below else _("%(metres)s m")) % {"metres": f"{metres:g}"}


def _label(group: str, key: str) -> tuple[Any, str] | None:
    found = FIELD_LABELS.get((group, key))
    if found is None and group not in _READERS:
        found = HACHOIR_LABELS.get(key)
    return found


def shown_fields(metadata: dict[str, Any]) -> list[ShownField]:
    """The fields a lawyer asks about, in words and in the order above (the first of each label wins:
    a serial number in two tags is shown once)."""
    stored = {(str(f.get("group", "")), str(f.get("key", ""))): str(f.get("value", ""))
              for f in metadata.get("fields", []) if isinstance(f, dict)}
    order = {key: index for index, key in enumerate(FIELD_LABELS)}
    ranked = sorted(enumerate(stored.items()), key=lambda pair: order.get(pair[1][0], len(order) + pair[0]))
    shown: list[ShownField] = []
    seen: set[str] = set()
    for _index, ((group, key), value) in ranked:
        labelled = _label(group, key)
        if labelled is None or str(labelled[0]) in seen:
            continue
        label, how = str(labelled[0]), labelled[1]
        seen.add(label)
        if how == DATE:
            value = show_date(value, zone=stored.get((group, _EXIF_OFFSET.get(key, "")), ""))
        elif how == COORDINATE:
            value = show_coordinate(value, stored.get((group, f"{key}Ref"), ""))
        elif how == GPS_TIME:
            value = show_gps_time(value)
        elif how == ALTITUDE:
            value = show_altitude(value, stored.get((group, "GPS GPSAltitudeRef"), ""))
        shown.append(ShownField(label, value))
    return shown
