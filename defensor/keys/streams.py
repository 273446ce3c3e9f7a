"""Files of any size, sealed and opened as streams in constant memory (the evidence locker's blobs).

The format is intake's (``crypto.StreamEncryptor``): the secretstream header, then chunks, each
``length (4 bytes, big-endian) || sealed chunk``; the last carries the FINAL tag.

``BlobWriter`` seals chunks as they arrive (an upload handler, or ``encrypt_file`` reading a stream)
and, in the same pass, counts the plaintext's size and computes the SHA-256 of the plaintext and of
the ciphertext. It writes to a temporary file in the destination's directory (mode 0600), fsyncs it
and renames it into place only when complete; anything refused or interrupted is removed.

``decrypt_chunks`` yields the plaintext one chunk at a time and holds each chunk back until the
next one has been authenticated, and the last until the end of the file has been checked (FINAL
tag, no bytes after it). So a blob changed anywhere — a byte, a cut, chunks swapped, bytes added —
never yields its last chunk: what a reader received is then always shorter than the sealed size
(which callers send as Content-Length), and ``Tampered`` is raised.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext_lazy as _

from defensor.core.errors import DefensorError
from defensor.keys import crypto

CHUNK_SIZE = 256 * 1024
# A sealed chunk's length larger than this is a changed prefix, not a chunk we wrote: refused
# before anything of that size is read into memory.
MAX_SEALED_CHUNK = 16 * 1024 * 1024


class TooLarge(DefensorError):
    user_message = _("The file is larger than the limit set for this server.")


@dataclass(frozen=True)
class StreamedFile:
    """What sealing a file told us. ``sha256``: of the plaintext (keep it sealed); ``blob_sha256``:
    of the ciphertext on disk (reveals nothing of the content)."""

    path: Path
    size: int
    sha256: str
    blob_sha256: str

    def __repr__(self) -> str:
        return f"<StreamedFile {self.path.name} {self.size} bytes>"


class BlobWriter:
    """Seal a file chunk by chunk into ``dst_path`` (see the module's docstring).

    ``observe``: called with each plaintext chunk as it passes (a content scanner); it must not keep them.
    """

    def __init__(self, dst_path: Path, key: bytes, *, limit: int,
                 observe: Callable[[bytes], None] | None = None) -> None:
        self.path = dst_path
        self.limit = limit
        self._observe = observe
        self._temp = dst_path.with_name(f".{uuid.uuid4().hex}.part")
        fd = os.open(self._temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._handle: BinaryIO | None = os.fdopen(fd, "wb")
        self._encryptor = crypto.StreamEncryptor(key)
        self._plain = hashlib.sha256()
        self._sealed = hashlib.sha256()
        self._pending = b""
        self.size = 0
        self._emit(self._encryptor.header)

    def _emit(self, data: bytes) -> None:
        assert self._handle is not None  # noqa: S101 - closed writers are not written to
        self._sealed.update(data)
        self._handle.write(data)

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.size > self.limit:
            self.abort()
            raise TooLarge()
        self._plain.update(chunk)
        if self._observe is not None:
            self._observe(chunk)
        # One chunk is held back, so that the last one can carry the FINAL tag.
        if self._pending:
            self._emit(self._encryptor.push(self._pending))
        self._pending = chunk

    def close(self) -> StreamedFile:
        assert self._handle is not None  # noqa: S101 - closed once
        self._emit(self._encryptor.push(self._pending, final=True))
        self._pending = b""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        os.replace(self._temp, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return StreamedFile(path=self.path, size=self.size, sha256=self._plain.hexdigest(),
                            blob_sha256=self._sealed.hexdigest())

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._temp.unlink(missing_ok=True)


def encrypt_file(src: BinaryIO, dst_path: Path, key: bytes, *, limit: int,
                 observe: Callable[[bytes], None] | None = None) -> StreamedFile:
    """Read ``src`` to its end and seal it into ``dst_path``; over ``limit`` bytes: ``TooLarge``
    and nothing is left on disk."""
    writer = BlobWriter(dst_path, key, limit=limit, observe=observe)
    try:
        while chunk := src.read(CHUNK_SIZE):
            writer.write(chunk)
        return writer.close()
    except BaseException:
        writer.abort()
        raise


def _read_exact(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise crypto.Tampered()  # cut short
    return data


def decrypt_chunks(path: Path, key: bytes) -> Iterator[bytes]:
    """The plaintext of a sealed file, chunk by chunk; the last chunk only once the whole file is
    proven intact (see the module's docstring). Raises ``Tampered``."""
    with path.open("rb") as handle:
        decryptor = crypto.StreamDecryptor(key, _read_exact(handle, crypto.STREAM_HEADER_SIZE))
        held: bytes | None = None
        while True:
            prefix = handle.read(crypto.STREAM_LENGTH_PREFIX)
            if not prefix:
                raise crypto.Tampered()  # ended without the FINAL chunk
            if len(prefix) != crypto.STREAM_LENGTH_PREFIX:
                raise crypto.Tampered()
            length = int.from_bytes(prefix, "big")
            if length < crypto.STREAM_ABYTES or length > MAX_SEALED_CHUNK:
                raise crypto.Tampered()
            message, final = decryptor.pull(_read_exact(handle, length))
            if held is not None:
                yield held
            held = message
            if final:
                break
        if handle.read(1):
            raise crypto.Tampered()  # bytes after the FINAL chunk
        if held:
            yield held


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes as stored (a blob's ciphertext), read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
