"""What a file says about itself: anna uploads a phone photo with GPS and the camera's serial, sees
them on the item page (sealed, an audited read), is warned on the page and in the case's list that
the photo could identify the client, and makes a working copy without them whose picture is the
original's byte for byte. Nobody else reaches any of it, and neither the coordinates nor the serial
are ever on disk or in the database in the clear."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import exifread
import pypdf
import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone, translation
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case
from defensor.cases.services import case_open, case_share
from defensor.evidence.derive import strip_jpeg
from defensor.evidence.metadata import extract, show_date, shown_fields
from defensor.evidence.metadata_child import iso6709
from defensor.evidence.models import CustodyEvent, EvidenceItem
from defensor.evidence.services import custody_verify, item_file_key
from defensor.intake import services as intake_services
from defensor.keys.streams import decrypt_chunks
from tests.canary import Canaries, files_under, now, pg_dump, scan, scan_bytes, stored_bytes, temp_files_since
from tests.conftest import attach_file, keyring_of, require_tool

pytestmark = pytest.mark.usefixtures("evidence_dir")  # each test its own evidence folder (tests/conftest.py)


@pytest.fixture
def case(anna: User) -> Case:
    return case_open(opened_by=anna, keyring=keyring_of(anna), title="Дело о командировке", number="2026-0102")


# --- a photo built by hand: EXIF with GPS, camera serial and owner; an 8×8 grey baseline picture ---


def _ifd(entries: list[tuple[int, int, int, bytes]], start: int, next_ifd: int = 0) -> bytes:
    """A little-endian TIFF IFD at offset ``start``; values over 4 bytes go after it."""
    table, data = b"", b""
    data_at = start + 2 + 12 * len(entries) + 4
    for tag, kind, count, value in entries:
        if len(value) <= 4:
            table += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
        else:
            table += struct.pack("<HHII", tag, kind, count, data_at + len(data))
            data += value + (b"\0" if len(value) % 2 else b"")
    return struct.pack("<H", len(entries)) + table + struct.pack("<I", next_ifd) + data


def _ascii(tag: int, text: str) -> tuple[int, int, int, bytes]:
    raw = text.encode() + b"\0"
    return (tag, 2, len(raw), raw)


def _rationals(tag: int, *pairs: tuple[int, int]) -> tuple[int, int, int, bytes]:
    return (tag, 5, len(pairs), b"".join(struct.pack("<II", n, d) for n, d in pairs))


def _long(tag: int, value: int) -> tuple[int, int, int, bytes]:
    return (tag, 4, 1, struct.pack("<I", value))


def exif_block(*, make: str, model: str, serial: str, owner: str, latitude: tuple[int, int, int],
               longitude: tuple[int, int, int]) -> bytes:
    """An APP1 Exif segment's payload: IFD0 (make, model, date) → Exif IFD (serial, owner, date
    taken) and GPS IFD (latitude N, longitude E)."""
    ifd0_size = len(_ifd([_ascii(0x010F, make), _ascii(0x0110, model), _ascii(0x0132, "2025:11:03 14:22:07"),
                          _long(0x8769, 0), _long(0x8825, 0)], 8))
    exif_at = 8 + ifd0_size
    exif_ifd = _ifd([_ascii(0x9003, "2025:11:03 14:22:07"), _ascii(0xA430, owner), _ascii(0xA431, serial)], exif_at)
    gps_at = exif_at + len(exif_ifd)
    gps_ifd = _ifd([_ascii(0x0001, "N"), _rationals(0x0002, (latitude[0], 1), (latitude[1], 1), (latitude[2], 1)),
                    _ascii(0x0003, "E"), _rationals(0x0004, (longitude[0], 1), (longitude[1], 1), (longitude[2], 1))],
                   gps_at)
    ifd0 = _ifd([_ascii(0x010F, make), _ascii(0x0110, model), _ascii(0x0132, "2025:11:03 14:22:07"),
                 _long(0x8769, exif_at), _long(0x8825, gps_at)], 8)
    return b"Exif\0\0" + b"II*\0" + struct.pack("<I", 8) + ifd0 + exif_ifd + gps_ifd


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


# A complete baseline JPEG of 8×8 grey pixels: one quantisation table, one-code Huffman tables, and
# a scan whose one block is DC 0 + end of block ("0" "0", padded with ones).
JFIF = _segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
PICTURE = (
    _segment(0xDB, b"\x00" + b"\x01" * 64)
    + _segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
    + _segment(0xC4, b"\x00" + b"\x01" + b"\0" * 15 + b"\x00")
    + _segment(0xC4, b"\x10" + b"\x01" + b"\0" * 15 + b"\x00")
    + _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
)
SCAN_DATA = b"\x3f"


def photo(exif: bytes, *, comment: bytes = b"", trailer: bytes = b"") -> bytes:
    return (b"\xff\xd8" + JFIF + _segment(0xE1, exif) + _segment(0xFE, comment or b"Shot on my phone")
            + _segment(0xED, b"Photoshop 3.0\0" + b"8BIM\x04\x04\0\0\0\0\0\0")
            + PICTURE + SCAN_DATA + b"\xff\xd9" + trailer)


def markers(jpeg: bytes) -> tuple[list[int], bytes]:
    """The markers before the scan and the scan's data up to EOI (a strict walk: a broken file fails)."""
    assert jpeg[:2] == b"\xff\xd8"
    found, at = [], 2
    while True:
        assert jpeg[at] == 0xFF, f"no marker at {at}"
        marker = jpeg[at + 1]
        found.append(marker)
        length = struct.unpack(">H", jpeg[at + 2:at + 4])[0]
        at += 2 + length
        if marker == 0xDA:
            end = jpeg.index(b"\xff\xd9", at)
            assert end + 2 == len(jpeg), "bytes after EOI"
            return found, jpeg[at:end]


# --- helpers through the pages -----------------------------------------------------------------


def _upload(client: Client, case: Case, name: str, content: bytes) -> EvidenceItem:
    before = set(EvidenceItem.objects.values_list("pk", flat=True))
    response = client.post(f"/staff/cases/{case.pk}/evidence/upload/", {"file": SimpleUploadedFile(name, content)},
                           follow=True)
    assert response.status_code == 200
    return EvidenceItem.objects.exclude(pk__in=before).get()


def _fields(html: str) -> dict[str, str]:
    """The item page's metadata table in words: label → value."""
    table = re.search(r'data-testid="metadata-fields">(.*?)</table>', html, re.S)
    assert table is not None
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]*)</td>', table.group(1)))


def _content(item: EvidenceItem, user: User) -> bytes:
    return b"".join(decrypt_chunks(Path(settings.DEFENSOR_EVIDENCE_DIR) / f"{item.blob}.bin",
                                   item_file_key(item=item, keyring=keyring_of(user))))


SERIAL = "SN-4471-KANAREYKA"
OWNER = "Иван Петрович Сидоров"


@pytest.fixture
def original() -> bytes:
    return photo(exif_block(make="Samsung", model="SM-A525F", serial=SERIAL, owner=OWNER,
                            latitude=(55, 45, 21), longitude=(37, 37, 4)))


def test_the_photo_built_here_is_a_jpeg_that_exifread_reads(original: bytes) -> None:
    tags = exifread.process_file(io.BytesIO(original), details=False)
    assert str(tags["EXIF BodySerialNumber"]) == SERIAL
    assert str(tags["GPS GPSLatitudeRef"]) == "N"
    assert markers(original)[1] == SCAN_DATA


def test_anna_sees_the_photos_metadata_is_warned_and_shares_a_working_copy_without_it(
    anna: User, case: Case, original: bytes, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)
    item = _upload(client, case, "IMG_2025.jpg", original)

    # 1. The case page's evidence list warns that the photo could identify the client.
    listing = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-testid="identifying-warning"' in listing
    assert "может указать на нашего доверителя" in listing

    # 2. The item page shows what the file says about itself, and the same warning.
    page = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert SERIAL in html
    assert OWNER in html
    assert "SM-A525F" in html
    assert 'data-testid="evidence-gps"' in html
    assert "55.7558333" in html
    assert "37.6177778" in html
    assert "может указать на нашего доверителя" in html
    assert "координаты GPS" in html
    assert "серийный номер устройства" in html
    # In words, with dates as a lawyer writes them; the parser's names only under "all fields as stored".
    shown = _fields(html)
    assert shown["Производитель камеры"] == "Samsung"
    assert shown["Модель камеры"] == "SM-A525F"
    assert shown["Серийный номер"] == SERIAL
    assert shown["Владелец"] == OWNER
    assert shown["Дата съёмки"] == "03.11.2025 14:22:07"
    assert shown["Широта (GPS)"] == "55° 45′ 21″ N"
    assert shown["Долгота (GPS)"] == "37° 37′ 4″ E"
    main, as_stored = html.split('data-testid="metadata-as-stored"', 1)
    for raw in ("EXIF BodySerialNumber", "Image ExifOffset", "2025:11:03 14:22:07"):
        assert raw not in main
        assert raw in as_stored
    assert "Все поля, как они записаны в файле" in as_stored
    views = CustodyEvent.objects.filter(item=item, kind="viewed")
    assert views.count() == 1
    assert views.get().actor == anna
    read = AuditEvent.objects.filter(action="evidence.viewed").latest("pk")
    assert read.details == {"case": case.pk, "number": 1, "page": "item"}

    # 3. The working copy: a new item without the metadata; the original untouched.
    made = client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/", follow=True)
    copy = EvidenceItem.objects.get(parent=item)
    assert made.redirect_chain[-1][0] == f"/staff/cases/{case.pk}/evidence/{copy.pk}/"
    copy_page = made.content.decode()
    assert "рабочая копия" in copy_page.lower()
    assert 'data-testid="identifying-warning"' not in copy_page
    assert SERIAL not in copy_page
    assert "55.7558333" not in copy_page
    assert copy.number == 2
    assert copy.source == item.source

    cleaned = _content(copy, anna)
    assert exifread.process_file(io.BytesIO(cleaned), details=True) == {}
    for gone in (SERIAL.encode(), OWNER.encode(), b"Samsung", b"Exif\0\0", b"Photoshop 3.0", b"Shot on my phone"):
        assert gone not in cleaned
    kept_markers, scan_data = markers(cleaned)
    original_markers, original_scan = markers(original)
    assert scan_data == original_scan == SCAN_DATA
    assert kept_markers == [m for m in original_markers if m not in (0xE1, 0xED, 0xFE)]
    assert _content(item, anna) == original  # the original never changes

    # The copy's sealed metadata records the parent's hash; custody on both; audit without content.
    keyring = keyring_of(anna)
    copy_metadata = json.loads(copy.decrypt(keyring).metadata or "{}")
    parent_values = item.decrypt(keyring)
    assert copy_metadata["derived_from"]["item"] == str(item.pk)
    assert copy_metadata["derived_from"]["sha256"] == parent_values.sha256
    assert copy_metadata["identifying"] == []
    copy_derived = CustodyEvent.objects.get(item=copy, kind="derived")
    assert copy_derived.details == {"parent": str(item.pk), "parent_sha256_in_metadata": True,
                                    "removed": ["app1", "app13", "com"]}
    assert CustodyEvent.objects.get(item=item, kind="derived").details == {"parent": str(item.pk),
                                                                         "working_copy": str(copy.pk)}
    audit = AuditEvent.objects.get(action="evidence.derived")
    assert audit.details == {"case": case.pk, "number": 2, "parent": str(item.pk), "parent_number": 1,
                             "removed": ["app1", "app13", "com"]}
    assert custody_verify() == []

    # The original's page names its copy, the copy's page its original.
    assert f"/staff/cases/{case.pk}/evidence/{copy.pk}/" in client.get(
        f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode()
    assert 'data-testid="working-copy-of"' in copy_page
    # It says in words what was removed, and offers no working copy of itself.
    removed_text = re.search(r'data-testid="removed">(.*?)</p>', copy_page)
    assert removed_text is not None
    assert removed_text.group(1) == ("Удалено из оригинала: данные EXIF (в т. ч. GPS и камера) и XMP; данные "
                                     "IPTC/Photoshop (подписи, автор, место); комментарий.")
    assert 'data-testid="evidence-working-copy"' not in copy_page
    assert "/working-copy/" not in copy_page


def test_bytes_after_the_picture_are_dropped_and_a_progressive_scan_is_kept_whole() -> None:
    removed: set[str] = set()
    second_scan = _segment(0xC4, b"\x10" + b"\x01" + b"\0" * 15 + b"\x00") + _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    jpeg = (b"\xff\xd8" + JFIF + _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>") + PICTURE
            + b"\x12\xff\x00\x34\xff\xd0\x56" + second_scan + b"\x3f" + b"\xff\xd9" + b"PK\x03\x04secret.zip")
    pieces = [jpeg[i:i + 3] for i in range(0, len(jpeg), 3)]  # markers cut across chunks
    cleaned = b"".join(strip_jpeg(iter(pieces), removed))
    assert removed == {"app1", "trailer"}
    assert cleaned == (b"\xff\xd8" + JFIF + PICTURE + b"\x12\xff\x00\x34\xff\xd0\x56" + second_scan + b"\x3f\xff\xd9")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_a_pngs_text_chunks_are_shown_and_removed_from_its_working_copy(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    pixels = _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
    gamma = _png_chunk(b"gAMA", struct.pack(">I", 45455))
    png = (b"\x89PNG\r\n\x1a\n" + header + gamma
           + _png_chunk(b"tEXt", b"Author\0" + "Сидоров".encode("latin-1", "replace"))
           + _png_chunk(b"iTXt", b"Description\0\0\0\0\0" + "Снято у части 12345".encode())
           + _png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"device SN-77"))
           + _png_chunk(b"tIME", struct.pack(">HBBBBB", 2025, 11, 3, 14, 22, 7))
           + pixels + _png_chunk(b"eXIf", b"MM\0*\0\0\0\x08\0\0\0\0\0\0") + _png_chunk(b"IEND", b""))
    client = verified_client(anna)
    item = _upload(client, case, "screenshot.png", png)
    html = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode()
    assert "Снято у части 12345" in html
    assert "device SN-77" in html
    assert "2025-11-03 14:22:07" in html  # as stored
    shown = _fields(html)
    assert shown["Описание"] == "Снято у части 12345"
    assert shown["Комментарий"] == "device SN-77"
    assert shown["Дата изменения"] == "03.11.2025 14:22:07"
    assert 'data-testid="identifying-warning"' in html  # an author's name
    client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/")
    copy = EvidenceItem.objects.get(parent=item)
    assert _content(copy, anna) == b"\x89PNG\r\n\x1a\n" + header + gamma + pixels + _png_chunk(b"IEND", b"")
    assert CustodyEvent.objects.get(item=copy, kind="derived").details["removed"] == [
        "eXIf", "iTXt", "tEXt", "tIME", "zTXt"]


def test_a_type_that_cannot_be_cleaned_is_refused_with_a_clear_message(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00!\xfe\x0cIvan Sidorov\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x00;"
    item = _upload(client, case, "animation.gif", gif)
    refused = client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/", follow=True)
    assert "Удалить метаданные из файла такого типа здесь нельзя" in refused.content.decode()
    assert not EvidenceItem.objects.filter(parent=item).exists()
    assert not CustodyEvent.objects.filter(kind="derived").exists()
    assert len(list(Path(settings.DEFENSOR_EVIDENCE_DIR).glob("*.bin"))) == 1


def test_nobody_else_reaches_the_page_or_makes_a_copy(
    anna: User, pavel: User, petra: User, boris: User, case: Case, original: bytes,
    verified_client: Callable[[User], Client]
) -> None:
    item = _upload(verified_client(anna), case, "IMG_2025.jpg", original)
    for other in (pavel, petra):
        other_client = verified_client(other)
        assert other_client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").status_code == 404
        assert other_client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/").status_code == 404
    boris_client = verified_client(boris)
    # A volunteer works on no case: 404 like everyone else (evidence.access).
    assert boris_client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").status_code == 404
    assert boris_client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/").status_code == 404
    assert EvidenceItem.objects.count() == 1
    assert not CustodyEvent.objects.filter(kind__in=["viewed", "derived"]).exists()


def test_the_coordinates_serial_and_owner_are_never_stored_in_plaintext(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    started = now()
    canaries = Canaries()
    serial = f"SN-{uuid.uuid4().hex[:12].upper()}"  # EXIF text is ASCII
    canaries.strings.append(serial)
    owner = canaries.new("владелец")
    content = photo(exif_block(make="Samsung", model="SM-A525F", serial=serial, owner=owner,
                               latitude=(48, 42, 27), longitude=(44, 30, 33)))
    canaries.strings += ["48.7075", "48,7075", "44.5091667", "44,5091667", "[48, 42, 27]", "[44, 30, 33]"]
    client = verified_client(anna)
    item = _upload(client, case, "IMG_0001.jpg", content)
    html = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode()
    assert serial in html
    assert owner in html
    assert "48.7075" in html
    client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/")
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 200
    hits = scan(files_under(Path(settings.DATA_DIR), Path(settings.DEFENSOR_EVIDENCE_DIR)), canaries)
    hits += scan(temp_files_since(started), canaries)
    hits += scan_bytes("database", stored_bytes(*apps.get_models()), canaries)
    if connection.vendor == "postgresql":
        dump = pg_dump(str(connection.settings_dict["NAME"]), connection.settings_dict, require_tool("pg_dump"))
        hits += scan_bytes("pg_dump", dump, canaries)
    assert not hits, "\n".join(hits)


def _with_company(docx_bytes: bytes, company: str) -> bytes:
    """The document with a company in its extended properties (python-docx does not write one)."""
    source, output = zipfile.ZipFile(io.BytesIO(docx_bytes)), io.BytesIO()
    with source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/app.xml":
                data = data.replace(b"</Properties>", f"<Company>{company}</Company></Properties>".encode())
            target.writestr(info, data)
    return output.getvalue()


def report_docx() -> bytes:
    document = docx.Document()
    paragraph = document.add_paragraph("Рапорт об увольнении рядового Иванова")
    document.add_comment(paragraph.runs, text="Проверить дату", author="Петров П. П.", initials="ПП")
    properties = document.core_properties
    properties.author, properties.last_modified_by = "Сидоров И. П.", "Командир в/ч 12345"
    properties.created = dt.datetime(2025, 10, 1, 9, 0, tzinfo=dt.UTC)
    properties.revision = 14
    buffer = io.BytesIO()
    document.save(buffer)
    return _with_company(buffer.getvalue(), "Войсковая часть 12345")


def test_an_office_documents_author_is_shown_and_its_working_copy_has_none(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)
    item = _upload(client, case, "рапорт.docx", report_docx())
    html = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode()
    for shown in ("Сидоров И. П.", "Командир в/ч 12345", "2025-10-01T09:00:00", "Войсковая часть 12345"):
        assert shown in html
    assert '<th scope="row">Автор</th><td>Сидоров И. П.</td>' in html
    assert '<th scope="row">Организация</th><td>Войсковая часть 12345</td>' in html
    assert '<th scope="row">Дата создания</th><td>01.10.2025 09:00:00 (UTC)</td>' in html
    assert '<th scope="row"><code>revision</code></th><td>14</td>' in html  # under "all fields as stored"
    assert "имя автора" in html
    assert 'data-testid="metadata-not-checked"' not in html

    made = client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/", follow=True)
    copy = EvidenceItem.objects.get(parent=item)
    assert made.redirect_chain[-1][0] == f"/staff/cases/{case.pk}/evidence/{copy.pk}/"
    cleaned = _content(copy, anna)
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        unpacked = b"".join(archive.read(name) for name in archive.namelist())
    for gone in ("Сидоров", "Командир", "Войсковая часть", "Петров", "ПП"):
        assert gone.encode() not in unpacked
    document = docx.Document(io.BytesIO(cleaned))  # still a document Word opens, with its text
    assert document.paragraphs[0].text == "Рапорт об увольнении рядового Иванова"
    assert document.core_properties.author == ""
    assert document.core_properties.created is None
    assert [comment.text for comment in document.comments] == ["Проверить дату"]
    assert [comment.author for comment in document.comments] == [""]
    copy_page = made.content.decode()
    assert 'data-testid="identifying-warning"' not in copy_page
    assert "Сидоров" not in copy_page
    removed = CustodyEvent.objects.get(item=copy, kind="derived").details["removed"]
    assert {"core", "app:Company", "authors"} <= set(removed)
    assert json.loads(copy.decrypt(keyring_of(anna)).metadata or "{}")["derived_from"]["sha256"] == (
        item.decrypt(keyring_of(anna)).sha256)


def _with_thumbnail(data: bytes, thumbnail: bytes) -> bytes:
    """The document with its preview picture (docProps/thumbnail.jpeg, named in the package's
    relationships: python-docx's template has one, as Word's files often do) replaced by ours."""
    source = zipfile.ZipFile(io.BytesIO(data))
    assert "docProps/thumbnail.jpeg" in source.namelist()
    assert b"thumbnail" in source.read("_rels/.rels")
    output = io.BytesIO()
    with source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info, thumbnail if info.filename == "docProps/thumbnail.jpeg" else content)
    return output.getvalue()


def test_an_office_documents_preview_picture_is_left_out_of_its_working_copy(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    preview = b"\xff\xd8" + JFIF + PICTURE + SCAN_DATA + b"\xff\xd9" + "Сидоров-превью".encode()
    client = verified_client(anna)
    item = _upload(client, case, "рапорт.docx", _with_thumbnail(report_docx(), preview))
    made = client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/", follow=True)
    copy = EvidenceItem.objects.get(parent=item)
    cleaned = _content(copy, anna)
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        assert not [name for name in archive.namelist() if "thumbnail" in name]
        assert b"thumbnail" not in archive.read("_rels/.rels")
    assert "Сидоров-превью".encode() not in cleaned
    document = docx.Document(io.BytesIO(cleaned))  # the package still opens, its text intact
    assert document.paragraphs[0].text == "Рапорт об увольнении рядового Иванова"
    assert "изображение для предпросмотра первой страницы" in made.content.decode()


def test_a_photo_whose_exif_is_broken_is_still_kept_shown_and_cleaned(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    broken = b"Exif\0\0" + b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", 40) + b"\xff" * 30
    jpeg = b"\xff\xd8" + JFIF + _segment(0xE1, broken) + PICTURE + SCAN_DATA + b"\xff\xd9"
    client = verified_client(anna)
    item = _upload(client, case, "broken.jpg", jpeg)
    page = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/")
    assert "Метаданных в файле не найдено." in page.content.decode()
    client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/")
    copy = EvidenceItem.objects.get(parent=item)
    assert _content(copy, anna) == b"\xff\xd8" + JFIF + PICTURE + SCAN_DATA + b"\xff\xd9"


def _mp3(artist: str, title: str, frames: int) -> bytes:
    """An ID3v2.4 tag (artist, title) before ``frames`` silent MPEG-1 layer III frames."""
    def text_frame(frame_id: bytes, text: str) -> bytes:
        data = b"\x03" + text.encode()
        return frame_id + struct.pack(">I", len(data)) + b"\0\0" + data
    body = text_frame(b"TPE1", artist) + text_frame(b"TIT2", title)
    size = bytes([(len(body) >> shift) & 0x7F for shift in (21, 14, 7, 0)])
    return b"ID3\x04\x00\x00" + size + body + (b"\xff\xfb\x90\x64" + b"\0" * 413) * frames


def test_a_recordings_artist_is_read_by_hachoir_even_when_only_its_beginning_is_read(
    anna: User, case: Case, verified_client: Callable[[User], Client], settings: object
) -> None:
    settings.DEFENSOR_EVIDENCE_METADATA_BYTES = 4096  # type: ignore[attr-defined]
    client = verified_client(anna)
    item = _upload(client, case, "запись.mp3", _mp3("Ivan Sidorov", "Zapis razgovora", 40))  # 16 KB
    html = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode()
    assert "Ivan Sidorov" in html
    assert "Zapis razgovora" in html
    assert "имя автора" in html
    assert "Файл большой: метаданные искали только в его начале." in html
    assert 'data-testid="metadata-not-checked"' in html
    listing = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Метаданные проверены не полностью." in listing


# --- PDF: pypdf reads the information dictionary and XMP, and writes the working copy ----------

XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
       b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
       b"<dc:creator><rdf:Seq><rdf:li>Petrov Pavel XMP</rdf:li></rdf:Seq></dc:creator>"
       b"<xmp:CreatorTool>Microsoft Word for Microsoft 365</xmp:CreatorTool>"
       b"<xmp:CreateDate>2025-11-03T14:22:07+03:00</xmp:CreateDate></rdf:Description></rdf:RDF></x:xmpmeta>"
       b'<?xpacket end="w"?>')


def order_pdf(*, password: str = "") -> bytes:
    """One page with the text 'Prikaz No. 123', an information dictionary and an XMP packet."""
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(300, 200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    text = DecodedStreamObject()
    text.set_data(b"BT /F1 12 Tf 20 100 Td (Prikaz No. 123) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(text)
    writer.add_metadata({"/Author": "Иван Сидоров", "/Creator": "Microsoft Word", "/Producer": "Acrobat Distiller",
                         "/CreationDate": "D:20251103142207+03'00'"})
    writer.xmp_metadata = XMP
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_pdfs_author_and_xmp_are_shown_and_its_working_copy_keeps_the_pages_only(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)
    item = _upload(client, case, "приказ.pdf", order_pdf())
    html = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode()
    for shown in ("Иван Сидоров", "Acrobat Distiller", "Petrov Pavel XMP", "Microsoft Word for Microsoft 365",
                  "D:20251103142207"):
        assert shown in html
    assert 'data-testid="identifying-warning"' in html
    assert 'data-testid="metadata-not-checked"' not in html

    client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/")
    copy = EvidenceItem.objects.get(parent=item)
    cleaned = _content(copy, anna)
    reader = pypdf.PdfReader(io.BytesIO(cleaned))
    assert reader.metadata is None
    assert reader.xmp_metadata is None
    assert [page.extract_text() for page in reader.pages] == ["Prikaz No. 123"]
    for gone in ("Иван Сидоров".encode("utf-16-be"), b"Petrov", b"Acrobat", b"Microsoft"):
        assert gone not in cleaned
    assert CustodyEvent.objects.get(item=copy, kind="derived").details["removed"] == ["info", "xmp"]
    copy_page = client.get(f"/staff/cases/{case.pk}/evidence/{copy.pk}/").content.decode()
    assert "Петров" not in copy_page
    assert 'data-testid="identifying-warning"' not in copy_page


def test_a_pdf_larger_than_what_is_cleaned_in_memory_is_refused_with_the_limit(
    anna: User, case: Case, verified_client: Callable[[User], Client], settings: object
) -> None:
    settings.DEFENSOR_EVIDENCE_METADATA_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    client = verified_client(anna)
    pdf = order_pdf()
    item = _upload(client, case, "большой.pdf", pdf.replace(b"%%EOF", b"%" + b"0" * (1024 * 1024) + b"\n%%EOF"))
    refused = client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/", follow=True)
    assert "Файл слишком большой, чтобы удалить из него метаданные здесь (предел — 1 МБ)" in refused.content.decode()
    assert not EvidenceItem.objects.filter(parent=item).exists()


def test_a_password_protected_pdf_is_kept_marked_not_fully_checked_and_not_cleaned(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)
    item = _upload(client, case, "secret.pdf", order_pdf(password="12345"))
    html = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode()
    assert 'data-testid="metadata-not-checked"' in html
    refused = client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/", follow=True)
    assert "PDF защищён паролем" in refused.content.decode()
    assert not EvidenceItem.objects.filter(parent=item).exists()


# --- a phone video whose moov box is at its end ------------------------------------------------


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def phone_video(*, location: str, data_size: int) -> bytes:
    """ftyp, then mdat (the picture data), then moov: mvhd (created 2025-11-03 14:22:07 UTC, 12 s)
    and udta/©xyz (ISO 6709), as Android phones write them."""
    created = int((dt.datetime(2025, 11, 3, 14, 22, 7, tzinfo=dt.UTC)
                   - dt.datetime(1904, 1, 1, tzinfo=dt.UTC)).total_seconds())
    mvhd = _box(b"mvhd", b"\0\0\0\0" + struct.pack(">IIII", created, created, 1000, 12000) + b"\0\x01\0\0\x01\0"
                + b"\0" * 10 + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000) + b"\0" * 24
                + struct.pack(">I", 2))
    text = location.encode()
    udta = _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", len(text), 0x15C7) + text))
    ftyp = _box(b"ftyp", b"mp42\0\0\0\0isommp42")
    return ftyp + _box(b"mdat", bytes(range(256)) * (data_size // 256)) + _box(b"moov", mvhd + udta)


def test_a_videos_place_and_date_are_found_when_its_moov_box_is_at_the_end(
    anna: User, case: Case, verified_client: Callable[[User], Client], settings: object
) -> None:
    settings.DEFENSOR_EVIDENCE_METADATA_BYTES = 64 * 1024  # type: ignore[attr-defined]
    video = phone_video(location="+55.7558+037.6176/", data_size=1024 * 1024)  # moov 1 MB after the head
    from hachoir.metadata import extractMetadata  # type: ignore[import-untyped]
    from hachoir.parser import guessParser  # type: ignore[import-untyped]
    from hachoir.stream import InputIOStream  # type: ignore[import-untyped]

    parsed = guessParser(InputIOStream(io.BytesIO(video), source="test", tags=[]))
    assert type(parsed).__name__ == "MP4File"  # hachoir, given the whole file, reads what we built
    assert extractMetadata(parsed).get("creation_date") == dt.datetime(2025, 11, 3, 14, 22, 7)  # noqa: DTZ001

    client = verified_client(anna)
    item = _upload(client, case, "VID_20251103.mp4", video)
    html = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode()
    assert 'data-testid="evidence-gps"' in html
    assert "55.7558, 37.6176" in html
    assert "2025-11-03T14:22:07+00:00" in html
    assert "12.000 s" in html
    assert "координаты GPS" in html
    assert 'data-testid="metadata-not-checked"' not in html
    listing = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-testid="identifying-warning"' in listing


# --- a file the child cannot read within its limits --------------------------------------------


@pytest.mark.parametrize(("setting", "value"), [("DEFENSOR_EVIDENCE_METADATA_TIMEOUT", 0.001),
                                               ("DEFENSOR_EVIDENCE_METADATA_MEMORY_MB", 8)])
def test_a_file_the_reader_cannot_finish_is_kept_and_marked_unread(
    anna: User, case: Case, original: bytes, verified_client: Callable[[User], Client], settings: object,
    setting: str, value: float
) -> None:
    """The child is killed by its wall clock, or dies at its memory limit: the upload is kept, and
    the page and the list say that the photo's metadata (which has GPS) was not checked."""
    setattr(settings, setting, value)
    client = verified_client(anna)
    item = _upload(client, case, "IMG_2025.jpg", original)
    assert custody_verify() == []
    page = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode()
    assert 'data-testid="metadata-unreadable"' in page
    assert "Метаданные проверены не полностью." in page
    assert "Метаданных в файле не найдено." not in page
    listing = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-testid="metadata-not-checked"' in listing
    assert _content(item, anna) == original
    metadata = json.loads(item.decrypt(keyring_of(anna)).metadata or "{}")
    assert metadata["unreadable"] == ["all"]
    assert metadata["failure"] == ("timeout" if setting.endswith("TIMEOUT") else "memory")


def test_a_working_copy_of_a_jpeg_keeps_its_colour_profile() -> None:
    icc = _segment(0xE2, b"ICC_PROFILE\0\x01\x01" + b"\x00" * 128)
    jpeg = b"\xff\xd8" + JFIF + icc + _segment(0xE1, b"Exif\0\0II*\0") + PICTURE + SCAN_DATA + b"\xff\xd9"
    removed: set[str] = set()
    cleaned = b"".join(strip_jpeg(iter([jpeg]), removed))
    assert cleaned == b"\xff\xd8" + JFIF + icc + PICTURE + SCAN_DATA + b"\xff\xd9"
    assert removed == {"app1"}


def test_an_iphone_videos_place_make_and_model_are_read_from_its_quicktime_keys() -> None:
    """iPhones write the place as an 'mdta' key in moov/meta (keys + ilst), not as ©xyz."""
    def data(text: str) -> bytes:
        return _box(b"data", b"\0\0\0\x01\0\0\0\0" + text.encode())

    names = ["com.apple.quicktime.location.ISO6709", "com.apple.quicktime.make", "com.apple.quicktime.model"]
    keys = _box(b"keys", b"\0\0\0\0" + struct.pack(">I", len(names))
                + b"".join(_box(b"mdta", name.encode()) for name in names))
    ilst = _box(b"ilst", b"".join(_box(struct.pack(">I", index), data(value)) for index, value in
                                  enumerate(["+48.7080+044.5133+102.000/", "Apple", "iPhone 15"], start=1)))
    meta = _box(b"meta", _box(b"hdlr", b"\0" * 8 + b"mdta" + b"\0" * 13) + keys + ilst)
    video = _box(b"ftyp", b"qt  \0\0\0\0qt  ") + _box(b"moov", meta) + _box(b"mdat", b"\0" * 4096)
    found = extract(video, "video/mp4", complete=True)
    assert found["gps"] == {"latitude": 48.708, "longitude": 44.5133}
    assert {(f["key"], f["value"]) for f in found["fields"]} >= {("make", "Apple"), ("model", "iPhone 15")}
    assert found["identifying"] == ["gps"]
    assert found["unreadable"] == []


@pytest.mark.parametrize(("text", "expected"), [
    ("+55.7558+037.6176/", (55.7558, 37.6176)),
    ("-3345.5+01823.25/", (-33.7583333, 18.3875)),  # degrees and minutes
    ("+554521+0373704/", (55.7558333, 37.6177778)),  # degrees, minutes and seconds
])
def test_an_iso_6709_place_is_read_in_each_of_its_forms(text: str, expected: tuple[float, float]) -> None:
    assert iso6709(text) == {"latitude": expected[0], "longitude": expected[1]}


def test_a_saved_public_sources_working_copy_still_says_where_when_how_and_by_whom_it_was_captured(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    """A screenshot pavel saved from a Telegram channel: its working copy (shared outside) drops the
    file's own metadata, not where it came from."""
    pavel.first_name, pavel.last_name = "Павел", "Орлов"
    pavel.save(update_fields=["first_name", "last_name"])
    case_share(case=case, to_user=pavel, shared_by=anna, keyring=keyring_of(anna))
    png = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
           + _png_chunk(b"tEXt", b"Author\0Sidorov") + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
           + _png_chunk(b"IEND", b""))
    url = "https://t.me/some_channel/4521"
    when = timezone.localtime() - dt.timedelta(hours=3)
    client = verified_client(anna)
    client.post(f"/staff/cases/{case.pk}/evidence/public/", {
        "file": SimpleUploadedFile("post.png", png, content_type="image/png"), "url": url,
        "platform": "Telegram", "captured_at": when.strftime("%Y-%m-%dT%H:%M"), "captured_with": "Hunchly 2.x",
        "captured_by": str(pavel.pk)})
    original = EvidenceItem.objects.get(case=case)
    assert client.post(f"/staff/cases/{case.pk}/evidence/{original.pk}/working-copy/").status_code == 302
    copy = EvidenceItem.objects.get(parent=original)
    assert b"Sidorov" not in _content(copy, anna)
    kept = ("url", "platform", "captured_at", "captured_with", "captured_by")
    values, copied = original.decrypt(keyring_of(anna)), copy.decrypt(keyring_of(anna))
    assert [getattr(copied, name) for name in kept] == [getattr(values, name) for name in kept]
    assert copied.captured_by == str(pavel.pk)
    assert copy.source == "public"
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(
        f"/staff/cases/{case.pk}/evidence/{copy.pk}/").content.decode()))
    assert url in page
    assert "Платформа Telegram" in page
    assert f"Время сохранения {when:%d.%m.%Y %H:%M}" in page
    assert "Чем сохранено Hunchly 2.x" in page
    assert "Кто сохранил Павел Орлов" in page
    copy.refresh_from_db()
    assert custody_verify(item=copy) == []


def test_an_rtf_is_not_handed_to_a_parser_that_has_nothing_to_read_in_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """No reader here knows RTF: it goes to none (hachoir guessed in vain), as plain text does; an
    unknown binary still goes to hachoir (the control)."""
    from defensor.evidence import metadata_child

    handed: list[str] = []
    monkeypatch.setattr(metadata_child, "read_hachoir", lambda view, found: handed.append("hachoir"))
    rtf = b"{\\rtf1\\ansi{\\info{\\author Sidorov}}\\pard Hello\\par}"
    found = metadata_child.extract(metadata_child.Sparse(rtf, b"", len(rtf)), "application/rtf", complete=True)
    assert handed == []
    assert (found["fields"], found["unreadable"], found["partial"]) == ([], [], False)
    blob = b"\x00\x01binary" * 8
    metadata_child.extract(metadata_child.Sparse(blob, b"", len(blob)), "application/octet-stream", complete=True)
    assert handed == ["hachoir"]


@pytest.mark.parametrize(("stored", "shown"), [
    ("2025:11:03 10:00:00", "03.11.2025 10:00:00"),  # EXIF: no zone unless an offset tag gives one
    ("D:20251103100000+03'00'", "03.11.2025 10:00:00 (UTC+03:00)"),  # a PDF's information dictionary
    ("D:20251103100000Z", "03.11.2025 10:00:00 (UTC)"),
    ("2025-11-03T06:00:00+00:00", "03.11.2025 06:00:00 (UTC)"),  # ISO 8601 (Office, XMP, a video's mvhd)
    ("2025-11-03T10:00:00-05:00", "03.11.2025 10:00:00 (UTC-05:00)"),
    ("вчера", "вчера"),  # not a date: as stored
])
def test_a_files_dates_are_shown_as_a_lawyer_writes_them(stored: str, shown: str) -> None:
    assert show_date(stored) == shown


def test_in_english_the_labels_are_english_and_a_photos_zone_comes_from_its_offset_tag() -> None:
    metadata = {"fields": [
        {"group": "exif", "key": "EXIF DateTimeOriginal", "value": "2025:11:03 10:00:00"},
        {"group": "exif", "key": "EXIF OffsetTimeOriginal", "value": "+04:00"},
        {"group": "exif", "key": "GPS GPSAltitude", "value": "1235/10"},
        {"group": "exif", "key": "GPS GPSAltitudeRef", "value": "0"},
        {"group": "exif", "key": "Image ExifOffset", "value": "120"},
        {"group": "mp4", "key": "duration", "value": "12.500 s"},
    ]}
    with translation.override("en"):
        shown = {field.label: field.value for field in shown_fields(metadata)}
    assert shown == {"Date taken": "03.11.2025 10:00:00 (UTC+04:00)", "GPS altitude": "123.5 m", "Duration": "12.500 s"}
    with translation.override("ru"):
        assert [field.label for field in shown_fields(metadata)] == ["Дата съёмки", "Высота (GPS)", "Длительность"]


def test_a_pdf_read_only_in_part_says_no_metadata_was_found_in_the_part_read(
    anna: User, case: Case, verified_client: Callable[[User], Client], settings: object
) -> None:
    """Its information dictionary is at its end, past what is read: the page does not say the file has none."""
    settings.DEFENSOR_EVIDENCE_METADATA_BYTES = 64 * 1024  # type: ignore[attr-defined]
    body = b"%PDF-1.4\n%" + b"0" * (256 * 1024) + b"\n"
    trailer = b"1 0 obj << /Author (Sidorov) >> endobj\ntrailer << /Info 1 0 R >>\n%%EOF\n"
    client = verified_client(anna)
    item = _upload(client, case, "скан.pdf", body + trailer)
    html = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode()
    assert "Метаданные проверены не полностью." in html
    assert "В прочитанной части файла метаданных не найдено." in html
    assert "Метаданных в файле не найдено." not in html


def test_an_item_from_a_request_links_to_it_only_for_whoever_may_read_requests(
    anna: User, petra: User, case: Case, verified_client: Callable[[User], Client],
    make_submission: Callable[..., Any], django_capture_on_commit_callbacks: Any,
) -> None:
    """anna (a lawyer) follows the link back to the request; petra (a partner, who reads cases shared
    with her but not the inbox) sees that the file came with a request, without a link."""
    submission = make_submission()
    attach_file(submission, "приказ.pdf", order_pdf(), kind="pdf")
    with django_capture_on_commit_callbacks(execute=True):
        intake_services.submission_accept(submission=submission, accepted_by=anna, keyring=keyring_of(anna),
                                          case=case)
    item = EvidenceItem.objects.get(case=case, source="request")
    case_share(case=case, to_user=petra, shared_by=anna, keyring=keyring_of(anna))
    page = f"/staff/cases/{case.pk}/evidence/{item.pk}/"
    annas = verified_client(anna).get(page).content.decode()
    assert f'<a href="/staff/inbox/{submission.pk}/" data-testid="from-request">' in annas
    assert verified_client(anna).get(f"/staff/inbox/{submission.pk}/").status_code == 200
    petras = verified_client(petra).get(page).content.decode()
    assert "Приложен к обращению" in petras
    assert "/staff/inbox/" not in petras
