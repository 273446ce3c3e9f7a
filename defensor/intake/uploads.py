"""Attachments are encrypted as they stream in and never touch the disk in plaintext.

The upload handler encrypts each chunk (XChaCha20-Poly1305 secretstream) under a fresh file key
and writes it to the data directory under a random name. The file key goes into the visitor's
encrypted form state, and into the submission (under its data key) once it is sent. The first
bytes are checked against an allow-list of types; a file whose content does not match its name
is refused with a clear message.

The disk is watched as the bytes arrive: below DEFENSOR_DISK_RESERVE_BYTES of free space a file is
refused as "busy, try again later" before the disk fills (the rest is the team's and the
database's), and files of forms not sent yet stop at DEFENSOR_INTAKE_UNSENT_BYTES_TOTAL in all.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.db import connection
from django.db.models import Sum
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from defensor.intake.models import UnsentUpload
from defensor.keys import crypto

SNIFF_BYTES = 64
DISK_CHECK_EVERY = 1024 * 1024  # bytes received between two looks at the free space


@dataclass(frozen=True)
class FileKind:
    code: str
    extensions: tuple[str, ...]
    label: str  # the format's name: "does not look like a PDF file"
    described: str | Promise  # what a person calls such files, for the list of what may be sent


KINDS = (
    FileKind("pdf", (".pdf",), "PDF", gettext_lazy("PDF documents")),
    FileKind("jpeg", (".jpg", ".jpeg"), "JPEG", gettext_lazy("JPEG photos")),
    FileKind("png", (".png",), "PNG", gettext_lazy("PNG pictures and screenshots")),
    FileKind("heic", (".heic", ".heif"), "HEIC", gettext_lazy("iPhone photos (HEIC)")),
    FileKind("mp4", (".mp4", ".mov", ".m4a", ".3gp"), "MP4",
             gettext_lazy("videos and recordings (MP4, MOV, M4A, 3GP)")),
    FileKind("zip-office", (".docx", ".xlsx", ".odt", ".ods"), "Word/Excel",
             gettext_lazy("Word and Excel documents (DOCX, XLSX, ODT, ODS)")),
    FileKind("ogg", (".ogg", ".oga", ".opus"), "OGG", gettext_lazy("voice messages (OGG, OPUS)")),
    FileKind("mp3", (".mp3",), "MP3", gettext_lazy("MP3 audio")),
    FileKind("text", (".txt",), "TXT", gettext_lazy("plain text (TXT)")),
)


def sniff(head: bytes) -> str | None:
    """The kind of file the first bytes show, or None if not an allowed kind."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in {b"heic", b"heix", b"mif1", b"msf1", b"hevc"}:
            return "heic"
        return "mp4"
    if head.startswith(b"PK\x03\x04"):
        return "zip-office"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3") or head[:2] in {b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"}:
        return "mp3"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the sniffed bytes is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return "text" if b"\x00" not in head else None


def kind_for_name(name: str) -> FileKind | None:
    extension = os.path.splitext(name.lower())[1]
    return next((k for k in KINDS if extension in k.extensions), None)


def attachments_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "attachments"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def attachment_path(attachment_id: str) -> Path:
    return attachments_dir() / f"{uuid.UUID(attachment_id)}.bin"


def disk_free_bytes() -> int:
    """Free space (for this process's user) where attachments and, on SQLite, the database are written."""
    places = [attachments_dir()]
    if connection.vendor == "sqlite":
        database = Path(str(connection.settings_dict["NAME"])).parent
        if database.is_dir():  # not an in-memory database
            places.append(database)
    return min(shutil.disk_usage(place).free for place in places)


def disk_has_room(*, keep: int, adding: int = 0) -> bool:
    """True if ``adding`` more bytes still leave ``keep`` bytes free."""
    return disk_free_bytes() - adding >= keep


def unsent_bytes_total() -> int:
    """What files of forms not sent yet take on disk, in all."""
    return int(UnsentUpload.objects.aggregate(total=Sum("stored_bytes"))["total"] or 0)


def busy_message() -> str:
    return _("The service is busy right now and cannot take files. Please try again later: what you wrote "
             "is kept on this page.")


class EncryptedUpload(UploadedFile):
    """What request.FILES holds: the stored file's id, key and checked kind — no content."""

    def __init__(self, *, upload_id: str, key: bytes, name: str, kind: str, size: int, sha256: str = "") -> None:
        super().__init__(file=io.BytesIO(b""), name=name, content_type=kind, size=size)
        self.upload_id = upload_id
        self.key = key
        self.kind = kind
        self.sha256 = sha256  # of the original as it arrived, computed while it streamed in

    def __repr__(self) -> str:
        return f"<EncryptedUpload {self.upload_id}>"


class RefuseFilesHandler(FileUploadHandler):
    """The default everywhere: a file part is skipped before a byte of it is stored."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        raise SkipFile()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        return None

    def file_complete(self, file_size: int) -> None:
        return None


class EncryptingUploadHandler(FileUploadHandler):
    """Replaces Django's memory and temp-file handlers on intake pages.

    ``unsent``: the files go into a form not sent yet, so they count towards the cap on unsent
    files in all (the cap per form is the view's: the handler does not know the form yet).
    """

    def __init__(self, request: Any = None, *, unsent: bool = False) -> None:
        super().__init__(request)
        self.max_bytes = settings.DEFENSOR_INTAKE_MAX_FILE_BYTES
        self.max_files = settings.DEFENSOR_INTAKE_MAX_FILES_PER_REQUEST
        self.unsent = unsent
        self.files_seen = 0
        self.errors: list[str] = []
        self.busy = False  # a file was refused for want of room: "try again later", not the person's fault
        self.created: list[Path] = []  # every file written, so the view can remove what it did not keep
        self.received = 0  # bytes of every file of this request so far
        self._room = 0  # bytes this request may still write under the cap on unsent files
        self._checked_at = 0
        self._reset()

    def _reset(self) -> None:
        self._handle: Any = None
        self._path: Path | None = None
        self._encryptor: crypto.StreamEncryptor | None = None
        self._pending = b""
        self._head = b""
        self._size = 0
        self._digest = hashlib.sha256()
        self._key = b""
        self._id = ""
        self._skipped = False

    def _abort(self, message: str, *, busy: bool = False) -> None:
        self.busy = self.busy or busy
        if message not in self.errors:
            self.errors.append(message)
        if self._handle is not None:
            self._handle.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)
        self._skipped = True
        raise SkipFile()

    def new_file(self, field_name: str, file_name: str, content_type: str, content_length: int | None,
                 charset: str | None = None, content_type_extra: Any = None) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self._reset()
        if not file_name or field_name != "files":
            self._skipped = True
            raise SkipFile()
        self.files_seen += 1
        if self.files_seen > self.max_files:
            if self.files_seen == self.max_files + 1:  # said once, however many more came
                self.errors.append(_("Please send at most %(n)d files at a time.") % {"n": self.max_files})
            self._skipped = True
            raise SkipFile()
        if self.unsent and self.files_seen == 1:
            self._room = settings.DEFENSOR_INTAKE_UNSENT_BYTES_TOTAL - unsent_bytes_total()
        if self.busy or not self._has_room(1):
            self._abort(self._no_room_message(), busy=True)
        self._id = str(uuid.uuid4())
        self._key = crypto.random_key()
        self._path = attachment_path(self._id)
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.created.append(self._path)
        self._handle = os.fdopen(fd, "wb")
        self._encryptor = crypto.StreamEncryptor(self._key)
        self._handle.write(self._encryptor.header)
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self._skipped or self._encryptor is None:
            return None
        self._size += len(raw_data)
        self.received += len(raw_data)
        if self.received - self._checked_at >= DISK_CHECK_EVERY or (self.unsent and self.received > self._room):
            self._checked_at = self.received
            if not self._has_room(0):
                self._abort(self._no_room_message(), busy=True)
        if self._size > self.max_bytes:
            self._abort(
                _("The file “%(name)s” is larger than %(mb)d MB. Please send a smaller file or a photo of the page.")
                % {"name": self.file_name, "mb": self.max_bytes // (1024 * 1024)}
            )
        self._digest.update(raw_data)
        if len(self._head) < SNIFF_BYTES:
            self._head += raw_data[: SNIFF_BYTES - len(self._head)]
        # One chunk is held back, so that the last one can carry the FINAL tag.
        if self._pending:
            self._handle.write(self._encryptor.push(self._pending))
        self._pending = raw_data
        return None

    def _has_room(self, adding: int) -> bool:
        if self.unsent and self.received + adding > self._room:
            return False
        return disk_has_room(keep=settings.DEFENSOR_DISK_RESERVE_BYTES, adding=adding)

    def _no_room_message(self) -> str:
        if self.unsent and self.received >= self._room:
            return _("Files cannot be received right now. Please try again later, or send your request without "
                     "them and add them later with your receipt.")
        return busy_message()

    def file_complete(self, file_size: int) -> EncryptedUpload | None:
        if self._skipped or self._encryptor is None or self._path is None:
            return None
        self._handle.write(self._encryptor.push(self._pending, final=True))
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        name = os.path.basename(self.file_name or "file")[:120]
        expected = kind_for_name(name)
        found = sniff(self._head)
        if self._size == 0:
            self._path.unlink(missing_ok=True)
            self.errors.append(_("The file “%(name)s” is empty.") % {"name": name})
            return None
        if expected is None:
            self._path.unlink(missing_ok=True)
            allowed = ", ".join(str(k.described) for k in KINDS)
            self.errors.append(
                _("Files like “%(name)s” cannot be sent. Allowed: %(allowed)s.") % {"name": name, "allowed": allowed}
            )
            return None
        if found != expected.code:
            self._path.unlink(missing_ok=True)
            self.errors.append(
                _("The file “%(name)s” does not look like a %(kind)s file. Please check it and send it again.")
                % {"name": name, "kind": expected.label}
            )
            return None
        return EncryptedUpload(upload_id=self._id, key=self._key, name=name, kind=found, size=self._size,
                              sha256=self._digest.hexdigest())

    def upload_interrupted(self) -> None:
        if self._handle is not None:
            self._handle.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)


def read_attachment(attachment_id: str, key: bytes) -> bytes:
    return crypto.stream_decrypt(key, attachment_path(attachment_id).read_bytes())


def remove_unkept(handler: EncryptingUploadHandler, kept: set[str]) -> None:
    """After a request: delete every file it wrote that did not end up in a form state or a
    submission (refused CSRF, unreadable state, errors, a field nobody asked for)."""
    for path in handler.created:
        if path.stem not in kept:
            path.unlink(missing_ok=True)
