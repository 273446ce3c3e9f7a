"""The evidence locker's core: files stream in sealed and out byte for byte to those who hold the
case (404 for everyone else), dangerous files are flagged and never opened, a request's file becomes
evidence, the chain of custody and the blobs are checked by ``defensor evidence verify``, and no
file content, name or hash is anywhere on disk in plaintext."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case, CaseFile
from defensor.cases.services import case_open
from defensor.evidence.custody import blob_path
from defensor.evidence.models import CustodyEvent, EvidenceItem, EvidenceLink
from defensor.evidence.services import custody_verify
from defensor.intake.models import Submission
from defensor.keys import crypto
from defensor.keys.streams import CHUNK_SIZE, TooLarge, decrypt_chunks, encrypt_file
from tests.canary import Canaries, files_under, now, pg_dump, scan, scan_bytes, stored_bytes, temp_files_since
from tests.conftest import keyring_of, require_tool

pytestmark = pytest.mark.usefixtures("evidence_dir")  # each test its own evidence folder (tests/conftest.py)

# --- streaming crypto ----------------------------------------------------------------------------

MB = 1024 * 1024


class Pattern(io.RawIOBase):
    """A file of ``size`` bytes made up as it is read: never whole in memory."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        block = (hashlib.sha256(str(self.left).encode()).digest() * (n // 32 + 1))[:n]
        self.left -= n
        self.digest.update(block)
        return block


def test_a_50_mb_file_is_sealed_and_opened_in_flat_memory(tmp_path: Path) -> None:
    key = crypto.random_key()
    source = Pattern(50 * MB)
    tracemalloc.start()
    stored = encrypt_file(source, tmp_path / "blob.bin", key, limit=100 * MB)  # type: ignore[arg-type]
    _, sealing_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    opened, size = hashlib.sha256(), 0
    for chunk in decrypt_chunks(stored.path, key):
        opened.update(chunk)
        size += len(chunk)
    _, opening_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sealing_peak < 5 * MB, sealing_peak
    assert opening_peak < 5 * MB, opening_peak
    assert size == stored.size == 50 * MB
    assert opened.hexdigest() == stored.sha256 == source.digest.hexdigest()
    assert hashlib.sha256(stored.path.read_bytes()).hexdigest() == stored.blob_sha256
    assert stored.path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["blob.bin"]  # no temporary file left


def test_a_file_over_the_limit_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    with pytest.raises(TooLarge):
        encrypt_file(Pattern(3 * MB), tmp_path / "blob.bin", crypto.random_key(), limit=2 * MB)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def _chunks_of(blob: bytes) -> list[tuple[int, int]]:
    """(start, end) of each length-prefixed chunk after the header."""
    spans, position = [], crypto.STREAM_HEADER_SIZE
    while position < len(blob):
        length = int.from_bytes(blob[position:position + 4], "big")
        spans.append((position, position + 4 + length))
        position += 4 + length
    return spans


def _changed_byte(blob: bytes) -> bytes:
    middle = len(blob) // 2
    return blob[:middle] + bytes([blob[middle] ^ 1]) + blob[middle + 1:]


def _cut(blob: bytes) -> bytes:
    return blob[:_chunks_of(blob)[-1][0]]  # the final chunk removed: the rest is intact


def _swapped(blob: bytes) -> bytes:
    (a, b), (c, d) = _chunks_of(blob)[0], _chunks_of(blob)[1]
    return blob[:a] + blob[c:d] + blob[a:b] + blob[d:]


def _extra(blob: bytes) -> bytes:
    return blob + blob[_chunks_of(blob)[0][0]:_chunks_of(blob)[0][1]]


@pytest.mark.parametrize("tamper", [_changed_byte, _cut, _swapped, _extra])
def test_every_tampering_is_detected_and_never_yields_a_complete_file(
    tmp_path: Path, tamper: Callable[[bytes], bytes]
) -> None:
    key = crypto.random_key()
    content = os.urandom(4 * CHUNK_SIZE + 1000)
    stored = encrypt_file(io.BytesIO(content), tmp_path / "blob.bin", key, limit=10 * MB)
    assert b"".join(decrypt_chunks(stored.path, key)) == content
    stored.path.write_bytes(tamper(stored.path.read_bytes()))
    received = bytearray()

    def read_all() -> None:
        for chunk in decrypt_chunks(stored.path, key):
            received.extend(chunk)

    with pytest.raises(crypto.Tampered):
        read_all()
    assert len(received) < len(content)
    assert content.startswith(bytes(received))


# --- the case page, uploads and downloads -----------------------------------------------------------


@pytest.fixture
def case(anna: User) -> Case:
    return case_open(opened_by=anna, keyring=keyring_of(anna), title="Дело о командировке", number="2026-0101")


def _upload(client: Client, case: Case, name: str, content: bytes) -> str:
    response = client.post(f"/staff/cases/{case.pk}/evidence/upload/",
                           {"file": SimpleUploadedFile(name, content)}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def _download(client: Client, case: Case, item: EvidenceItem) -> tuple[bytes, object]:
    response = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content), response  # type: ignore[attr-defined]


def _assert_safe(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "no-store" in headers["Cache-Control"]


def test_anna_uploads_a_file_on_the_case_page_and_downloads_it_byte_for_byte(
    anna: User, pavel: User, petra: User, boris: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)
    content = b"%PDF-1.7\n" + b"".join(hashlib.sha256(bytes([i % 256, i // 256])).digest() for i in range(20_000)).hex(
    ).encode() + b"\n%%EOF\n"  # ~1.3 MB, with no pattern that flags a PDF
    page = _upload(client, case, "Приказ № 12 «об увольнении».pdf", content)
    assert "добавлен в доказательства под № 1" in page
    item = EvidenceItem.objects.get(case=case)
    row = re.search(r'data-testid="evidence-item">(.*?)</tr>', page, re.S)
    assert row is not None
    assert "Приказ № 12 «об увольнении».pdf" in row.group(1)
    assert "application/pdf" in row.group(1)
    assert not item.active_content
    downloaded, response = _download(client, case, item)
    assert downloaded == content
    _assert_safe(response)
    disposition = response.headers["Content-Disposition"]  # type: ignore[attr-defined]
    assert "filename*=utf-8''" in disposition
    assert "Приказ" not in disposition  # encoded (RFC 6266), never raw in a header
    assert response.headers["Content-Length"] == str(len(content))  # type: ignore[attr-defined]
    # Custody and audit: captured, then downloaded, each by anna.
    kinds = list(CustodyEvent.objects.filter(item=item).order_by("seq").values_list("kind", "actor_id"))
    assert kinds == [("captured", anna.pk), ("downloaded", anna.pk)]
    assert AuditEvent.objects.filter(action="evidence.added", target_id=str(item.pk)).count() == 1
    assert AuditEvent.objects.filter(action="evidence.downloaded", target_id=str(item.pk), actor=anna).count() == 1
    # A colleague who does not hold the case, a partner it is not shared with, a volunteer: 404.
    blobs = set(blob_path(item.blob).parent.glob("*"))
    for other in (pavel, petra):
        other_client = verified_client(other)
        assert other_client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/download/").status_code == 404
        refused = other_client.post(f"/staff/cases/{case.pk}/evidence/upload/",
                                    {"file": SimpleUploadedFile("x.txt", b"x")})
        assert refused.status_code == 404
    assert verified_client(boris).get(f"/staff/cases/{case.pk}/evidence/{item.pk}/download/").status_code == 404
    assert EvidenceItem.objects.count() == 1
    assert CustodyEvent.objects.filter(item=item).count() == 2
    assert set(blob_path(item.blob).parent.glob("*")) == blobs  # refused uploads left nothing


def _zip_bomb() -> bytes:
    """A small zip whose entry claims to expand to 4 GB (sizes patched in both headers)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (2 * MB))
    data = bytearray(buffer.getvalue())
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 0xFFFFFFF0)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 0xFFFFFFF0)
    return bytes(data)


POLYGLOT = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj\n"
            b"2 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n"
            b"<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n")
MACRO_DOCX = b"PK\x03\x04" + b"\0" * 26 + b"[Content_Types].xml" + b"\0" * 40 + b"PK\x03\x04word/vbaProject.bin"


@pytest.mark.parametrize(("name", "content", "flagged", "archive"), [
    ("заметки.txt", b"<!DOCTYPE html><html><script>fetch('/staff/')</script></html>", True, False),
    ("схема.svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', True,
     False),
    ("архив.zip", _zip_bomb(), False, True),
    ("приказ.pdf", POLYGLOT, True, False),
    ("рапорт.docx", MACRO_DOCX, True, False),
])
def test_dangerous_files_are_kept_flagged_and_given_out_only_as_attachments(
    anna: User, case: Case, verified_client: Callable[[User], Client], name: str, content: bytes, flagged: bool,
    archive: bool,
) -> None:
    client = verified_client(anna)
    page = _upload(client, case, name, content)
    item = EvidenceItem.objects.get(case=case)
    assert item.active_content is flagged
    assert ('data-testid="active-content"' in page) is flagged
    assert ('data-testid="archive"' in page) is archive
    downloaded, response = _download(client, case, item)
    assert downloaded == content
    _assert_safe(response)


# --- a request's file ---------------------------------------------------------------------------------


def test_a_file_attached_to_a_request_becomes_evidence_of_the_case_it_is_accepted_into(
    anna: User, pavel: User, verified_client: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from tests.intake_visitor import IntakeVisitor

    photo = b"\xff\xd8\xff\xe0" + os.urandom(200_000)
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all(files=[("приказ об увольнении.jpg", photo)])
    visitor.submit()
    submission = Submission.objects.get()
    client = verified_client(anna)
    with django_capture_on_commit_callbacks(execute=True):  # files are taken in once the accept commits
        client.post(f"/staff/inbox/{submission.pk}/accept/",
                    {"person": "new", "case": "new", "case_kind": "special_rank"})
    case = Case.objects.get()
    carried = CaseFile.objects.get(case=case)
    item = EvidenceItem.objects.get(case=case)  # taken in by the accept (tests/test_evidence_from_request.py)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert item.attachment_id == carried.attachment_id
    assert item.source == "request"
    assert item.number == 1
    assert EvidenceLink.objects.filter(item=item, claimant=carried.claimant).exists()
    assert "приказ об увольнении.jpg" in page
    assert "image/jpeg" in page
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 200
    assert EvidenceItem.objects.count() == 1  # once
    downloaded, response = _download(client, case, item)
    assert downloaded == photo
    _assert_safe(response)
    assert verified_client(pavel).get(f"/staff/cases/{case.pk}/evidence/{item.pk}/download/").status_code == 404
    values = item.decrypt(keyring_of(anna))
    assert values.sha256 == hashlib.sha256(photo).hexdigest()
    assert values.size == str(len(photo))


# --- verify -------------------------------------------------------------------------------------


def _verify() -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("evidence", "verify", stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


@pytest.fixture
def item_with_history(anna: User, case: Case, verified_client: Callable[[User], Client]) -> EvidenceItem:
    client = verified_client(anna)
    _upload(client, case, "видео.mp4", b"\0\0\0\x18ftypmp42" + os.urandom(50_000))
    item = EvidenceItem.objects.get(case=case)
    for _time in range(3):
        _download(client, case, item)
    assert _verify() == (0, [])
    return item


def test_a_changed_blob_byte_is_found(item_with_history: EvidenceItem) -> None:
    path = blob_path(item_with_history.blob)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, lines = _verify()
    assert code == 1
    assert lines == [f"evidence {item_with_history.pk}: blob-changed"]


def test_a_changed_custody_row_is_found(item_with_history: EvidenceItem, pavel: User) -> None:
    CustodyEvent.objects.filter(item=item_with_history, seq=2).update(actor=pavel)
    code, lines = _verify()
    assert code == 1
    assert f"evidence {item_with_history.pk}: custody-hash seq=2" in lines


def test_a_deleted_custody_row_is_found_in_the_middle_and_at_the_end(item_with_history: EvidenceItem) -> None:
    CustodyEvent.objects.filter(item=item_with_history, seq=3).delete()
    code, lines = _verify()
    assert code == 1
    assert lines == [f"evidence {item_with_history.pk}: custody-length",
                     f"evidence {item_with_history.pk}: custody-audit-mismatch kind=downloaded custody=2 audit=3"]
    CustodyEvent.objects.filter(item=item_with_history, seq=1).delete()
    code, lines = _verify()
    assert code == 1
    assert f"evidence {item_with_history.pk}: custody-seq seq=2" in lines


def test_a_reordered_pair_of_custody_rows_is_found(item_with_history: EvidenceItem) -> None:
    CustodyEvent.objects.filter(item=item_with_history, seq=1).update(seq=99)
    CustodyEvent.objects.filter(item=item_with_history, seq=2).update(seq=1)
    CustodyEvent.objects.filter(item=item_with_history, seq=99).update(seq=2)
    code, lines = _verify()
    assert code == 1
    assert f"evidence {item_with_history.pk}: custody-hash seq=1" in lines
    assert custody_verify(item=item_with_history)


def test_a_replaced_blob_with_a_matching_record_is_still_found(item_with_history: EvidenceItem) -> None:
    """Someone who swaps the blob and writes its hash into the row still breaks the captured event."""
    path = blob_path(item_with_history.blob)
    path.write_bytes(os.urandom(1000))
    EvidenceItem.objects.filter(pk=item_with_history.pk).update(
        blob_sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    code, lines = _verify()
    assert code == 1
    assert lines == [f"evidence {item_with_history.pk}: custody-hash seq=0"]


def test_a_changed_blob_is_not_given_out(
    anna: User, item_with_history: EvidenceItem, verified_client: Callable[[User], Client]
) -> None:
    path = blob_path(item_with_history.blob)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    path.write_bytes(bytes(data))
    response = verified_client(anna).get(
        f"/staff/cases/{item_with_history.case_id}/evidence/{item_with_history.pk}/download/", follow=True)
    assert "defensor evidence verify" in response.content.decode()
    assert not hasattr(response, "streaming_content")


# --- the canary --------------------------------------------------------------------------------


def test_no_file_content_name_or_hash_is_stored_in_plaintext(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    started = now()
    canaries = Canaries()
    client = verified_client(anna)
    content = f"Рапорт: {canaries.new('в-файле')}\n".encode() * 50
    name = f"{canaries.new('имя-файла')}.txt"
    _upload(client, case, name, content)
    canaries.strings.append(hashlib.sha256(content).hexdigest())
    canaries.secrets.append(hashlib.sha256(content).digest())
    item = EvidenceItem.objects.get()
    assert _download(client, case, item)[0] == content
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 200
    assert files_under(Path(settings.DEFENSOR_EVIDENCE_DIR)), "no blob: the scan would prove nothing"
    hits = scan(files_under(Path(settings.DATA_DIR), Path(settings.DEFENSOR_EVIDENCE_DIR)), canaries)
    hits += scan(temp_files_since(started), canaries)
    hits += scan_bytes("database", stored_bytes(*apps.get_models()), canaries)
    if connection.vendor == "postgresql":
        dump = pg_dump(str(connection.settings_dict["NAME"]), connection.settings_dict, require_tool("pg_dump"))
        hits += scan_bytes("pg_dump", dump, canaries)
    assert not hits, "\n".join(hits)
    assert json.dumps(list(AuditEvent.objects.values_list("details", flat=True)), ensure_ascii=False).find(
        "имя-файла") == -1


def test_a_file_over_the_servers_limit_is_refused_on_the_page_and_nothing_is_kept(
    anna: User, case: Case, verified_client: Callable[[User], Client], settings: object, evidence_dir: Path
) -> None:
    settings.DEFENSOR_EVIDENCE_MAX_BYTES = 1 * MB  # type: ignore[attr-defined]
    page = _upload(verified_client(anna), case, "запись.mp4", b"\0\0\0\x18ftypmp42" + b"\0" * (2 * MB))
    assert "Файл больше 1 МБ" in page
    assert not EvidenceItem.objects.exists()
    assert list(evidence_dir.iterdir()) == []
