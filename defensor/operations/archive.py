"""The backup archive: a tar stream inside an age file, written and read as it streams.

Layout (members in this order)::

    defensor-backup/format.json          format version, database vendor, made when, by which version
    defensor-backup/secret/secret_key    the server's secret (receipts are found by a digest keyed from it)
    defensor-backup/secret/audit_key     only when DEFENSOR_AUDIT_KEY is set
    defensor-backup/config.json          settings without secrets
    defensor-backup/database/...         defensor.sqlite3 (SQLite's online backup) or defensor.pgdump
    defensor-backup/files/attachments/…  sealed files as they lie on disk (already ciphertext)
    defensor-backup/files/evidence/…
    defensor-backup/manifest.json        size and SHA-256 of every member above, the tables' row counts

Nothing here needs Django's settings: ``defensor restore`` reads an archive before the new data
directory has a secret for the settings to load.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from django.utils.translation import gettext_lazy as _

from defensor.core.errors import DefensorError
from defensor.keys import age

FORMAT = 1
ROOT = "defensor-backup"
FORMAT_MEMBER = f"{ROOT}/format.json"
SECRET_MEMBER = f"{ROOT}/secret/secret_key"
AUDIT_KEY_MEMBER = f"{ROOT}/secret/audit_key"
CONFIG_MEMBER = f"{ROOT}/config.json"
DATABASE_PREFIX = f"{ROOT}/database/"
FILES_PREFIX = f"{ROOT}/files/"
MANIFEST_MEMBER = f"{ROOT}/manifest.json"
FILE_AREAS = ("attachments", "evidence")  # under files/: media/attachments and the evidence directory
CHUNK = 1 << 20

Progress = Callable[[int], None]


class ArchiveInvalid(DefensorError):
    user_message = _("This is not a Defensor backup, or it is damaged: nothing was restored.")


@dataclass
class Manifest:
    members: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (size, sha256)
    tables: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps({"format": FORMAT, "members": self.members, "tables": self.tables, **self.extra},
                          ensure_ascii=False, sort_keys=True, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            members = {str(k): (int(v[0]), str(v[1])) for k, v in raw.pop("members").items()}
            tables = {str(k): int(v) for k, v in raw.pop("tables").items()}
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
            raise ArchiveInvalid() from error
        return cls(members=members, tables=tables, extra=raw)


class _Hashing(io.RawIOBase):
    """A reader that hashes and counts what passes through it."""

    def __init__(self, source: IO[bytes], progress: Progress | None) -> None:
        self.source, self.progress = source, progress
        self.sha256, self.size = hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        self.sha256.update(data)
        self.size += len(data)
        if self.progress is not None and data:
            self.progress(len(data))
        return len(data)


class ArchiveWriter:
    """Members are added one by one into a tar stream that is encrypted as it is written."""

    def __init__(self, tar: tarfile.TarFile, progress: Progress | None) -> None:
        self.tar, self.progress = tar, progress
        self.manifest = Manifest()

    def add_bytes(self, name: str, data: bytes) -> None:
        self.add_stream(name, io.BytesIO(data), len(data))

    def add_file(self, name: str, path: Path) -> None:
        with path.open("rb") as handle:
            self.add_stream(name, handle, os.fstat(handle.fileno()).st_size)

    def add_stream(self, name: str, source: IO[bytes], size: int) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, int(time.time())
        reader = _Hashing(source, self.progress)
        self.tar.addfile(info, io.BufferedReader(reader, CHUNK))
        if reader.size != size:  # the file changed size while it was read: it would be cut or padded
            raise ArchiveInvalid(_("A file changed while the backup was being made. Run the backup again."))
        self.manifest.members[name] = (size, reader.sha256.hexdigest())

    def finish(self, tables: dict[str, int], extra: dict[str, Any]) -> Manifest:
        self.manifest.tables, self.manifest.extra = tables, extra
        self.add_bytes(MANIFEST_MEMBER, self.manifest.to_json())
        return self.manifest


@contextmanager
def writing(target: BinaryIO, recipients: list[str], progress: Progress | None = None) -> Iterator[ArchiveWriter]:
    """Yield a writer whose members end up in ``target``, encrypted to ``recipients`` as they stream.

    The tar is made in this thread and encrypted in another, through a pipe: neither the archive
    nor a member is ever whole in memory. An error on either side leaves ``target`` incomplete,
    and the error is raised here (the caller deletes the partial file).
    """
    read_end, write_end = os.pipe()
    failure: list[BaseException] = []

    def encrypt() -> None:
        with os.fdopen(read_end, "rb") as source:
            try:
                age.encrypt_stream(source, target, recipients)
            except BaseException as error:  # handed to the writing thread
                failure.append(error)

    worker = threading.Thread(target=encrypt, name="backup-encrypt", daemon=True)
    worker.start()
    sink = os.fdopen(write_end, "wb", buffering=CHUNK)
    try:
        with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT, bufsize=CHUNK) as tar:
            tar.copybufsize = CHUNK  # type: ignore[attr-defined]  # (tar's own defaults, 10 and 16 KiB, cost a third of the time)
            yield ArchiveWriter(tar, progress)
    except BrokenPipeError:
        pass  # the encryption side failed first: its error is raised below
    finally:
        with suppress(BrokenPipeError):
            sink.close()
        worker.join()
    if failure:
        raise failure[0]


@dataclass
class Member:
    name: str
    size: int
    stream: IO[bytes]


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not name.startswith(f"{ROOT}/"):
        raise ArchiveInvalid()
    return name


def reading(source: BinaryIO, identities: list[str], handle: Callable[[Member], None],
            progress: Progress | None = None) -> Manifest:
    """Open the archive as it streams and hand each member to ``handle`` (which reads its stream).

    Every member's size and SHA-256 are checked against the manifest at the end, and the age
    stream's own authentication against a change or a cut. Any failure raises ArchiveUnreadable
    or ArchiveInvalid *after* ``handle`` may have seen members: the caller keeps what it wrote
    aside until this returns, and throws it away if it raises.
    """
    read_end, write_end = os.pipe()
    failure: list[BaseException] = []

    def decrypt() -> None:
        sink = os.fdopen(write_end, "wb", buffering=CHUNK)
        try:
            age.decrypt_stream(source, sink, identities)
        except BaseException as error:  # handed to the reading thread
            if not isinstance(error.__cause__, BrokenPipeError):  # not the reading side having stopped
                failure.append(error)
        finally:
            with suppress(BrokenPipeError):
                sink.close()

    worker = threading.Thread(target=decrypt, name="backup-decrypt", daemon=True)
    worker.start()
    seen: dict[str, tuple[int, str]] = {}
    manifest: Manifest | None = None
    stream = os.fdopen(read_end, "rb", buffering=CHUNK)
    problem: BaseException | None = None
    try:
        with tarfile.open(fileobj=stream, mode="r|", bufsize=CHUNK) as tar:
            tar.copybufsize = CHUNK  # type: ignore[attr-defined]  # not in typeshed
            for info in tar:
                name = _safe_name(info.name)
                if not info.isfile() or name in seen or manifest is not None:
                    raise ArchiveInvalid()
                extracted = tar.extractfile(info)
                if extracted is None:
                    raise ArchiveInvalid()
                if name == MANIFEST_MEMBER:
                    manifest = Manifest.from_json(extracted.read())
                    continue
                reader = _Hashing(extracted, progress)
                handle(Member(name, info.size, io.BufferedReader(reader, CHUNK)))
                while reader.read(CHUNK):  # what the handler left unread still counts
                    pass
                seen[name] = (reader.size, reader.sha256.hexdigest())
        while stream.read(CHUNK):  # tar's end padding: let the decryption reach the age stream's end
            pass
    except (tarfile.TarError, EOFError, OSError, ArchiveInvalid) as error:
        problem = error
    finally:
        stream.close()  # a decryption still writing gets a broken pipe and ends
        worker.join()
    if failure:  # the age stream's own verdict comes first: a wrong key, a change, a cut
        raise failure[0]
    if problem is not None:
        raise ArchiveInvalid() from problem
    if manifest is None or manifest.members != seen:
        raise ArchiveInvalid()
    return manifest
