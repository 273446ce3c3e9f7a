"""The staff upload: files sealed into the evidence folder as the request body arrives.

Installed by the upload view (after it checked that the actor holds the case) in place of Django's
memory and temp-file handlers: the plaintext is never written to disk, not even as a Django temp
file, and never held whole in memory.
"""

from __future__ import annotations

import io
import os
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.utils.translation import gettext as _

from defensor.evidence.content import ContentScan
from defensor.evidence.custody import blob_path
from defensor.evidence.services import SealedBlob, new_blob_name
from defensor.keys import crypto
from defensor.keys.streams import BlobWriter, TooLarge


class SealedUpload(UploadedFile):
    """What request.FILES holds: the sealed blob, no content."""

    def __init__(self, *, sealed: SealedBlob, name: str) -> None:
        super().__init__(file=io.BytesIO(b""), name=name, content_type="application/octet-stream",
                         size=sealed.stored.size)
        self.sealed = sealed

    def __repr__(self) -> str:
        return f"<SealedUpload {self.sealed.blob}>"


class EvidenceUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.errors: list[str] = []
        self.created: list[SealedBlob] = []
        self._writer: BlobWriter | None = None
        self._blob = ""
        self._key = b""
        self._scan = ContentScan()

    def new_file(self, field_name: str, file_name: str, content_type: str, content_length: int | None,
                 charset: str | None = None, content_type_extra: Any = None) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self._writer = None
        if field_name != "file" or not file_name or self.created:
            raise SkipFile()
        self._blob, self._key, self._scan = new_blob_name(), crypto.random_key(), ContentScan()
        self._writer = BlobWriter(blob_path(self._blob), self._key, limit=settings.DEFENSOR_EVIDENCE_MAX_BYTES,
                                  observe=self._scan.feed)
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self._writer is None:
            return None
        try:
            self._writer.write(raw_data)
        except TooLarge:
            self._writer = None
            self.errors.append(_("The file is larger than %(mb)d MB, the limit set for this server.")
                               % {"mb": settings.DEFENSOR_EVIDENCE_MAX_BYTES // (1024 * 1024)})
            raise SkipFile() from None
        return None

    def file_complete(self, file_size: int) -> SealedUpload | None:
        if self._writer is None:
            return None
        writer, self._writer = self._writer, None
        if writer.size == 0:
            writer.abort()
            self.errors.append(_("The file is empty."))
            return None
        sealed = SealedBlob(self._blob, self._key, writer.close(), self._scan)
        self.created.append(sealed)
        return SealedUpload(sealed=sealed, name=os.path.basename(self.file_name or "file")[:255])

    def upload_interrupted(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def remove_unkept(self, kept: set[str]) -> None:
        for sealed in self.created:
            if sealed.blob not in kept:
                sealed.stored.path.unlink(missing_ok=True)
