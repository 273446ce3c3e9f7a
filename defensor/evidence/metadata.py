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
"failure"?: code}`` and, for a working copy, ``derived_from`` (evidence.derive).
"""

from __future__ import annotations

import json
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
