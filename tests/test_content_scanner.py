"""The content scanner (defensor.core.content) sees through the easy disguises of active content, and
the server never opens what it keeps: a zip bomb, polyglots and a page named .txt are stored,
flagged and given back byte for byte, and no unpacker, parser or renderer is ever handed them.

The PDFs, workbooks and RTF documents here are real files: where a library can read them (pypdf)
the test first shows that a reader sees the script or action the scanner must find."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from defensor.accounts.models import User
from defensor.cases.models import Case
from defensor.cases.services import case_open
from defensor.core.content import ContentScan
from defensor.evidence.models import EvidenceItem
from tests.conftest import keyring_of, require_tool

pytestmark = pytest.mark.usefixtures("evidence_dir")  # each test its own evidence folder (tests/conftest.py)

CHUNK_SIZES = (1, 2, 3, 5, 7, 11, 31, 64, 65, 4096, 1 << 20)


def scanned(content: bytes, chunk: int = 1 << 20) -> tuple[str, list[str]]:
    scan = ContentScan()
    for start in range(0, len(content), chunk):
        scan.feed(content[start:start + chunk])
    return scan.media_type, scan.reasons


# --- PDFs built by hand, each a file a reader opens ---------------------------------------------------

FILLER = b"4 0 obj\n<< /Length 6000 >>\nstream\n" + b"0 0 m 10 10 l S\n" * 375 + b"endstream\nendobj\n"


def pdf(catalog: bytes, *objects: bytes, page: bytes = b"") -> bytes:
    """A PDF with a catalog (1), its pages (2), one page (3), a 6 KB content stream (4, first in the
    file, so that the rest comes after the scanner has sniffed the type) and ``objects`` numbered
    from 5, with a classic cross-reference table."""
    bodies = [b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
              b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " + page + b" >>"]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    filler_at = len(out)
    out += FILLER
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets.append(filler_at)
    for number, body in enumerate(objects, start=5):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref)
    return bytes(out)


def reader_of(content: bytes) -> Any:  # a reader: its objects typed loosely by pypdf
    return pypdf.PdfReader(io.BytesIO(content), strict=False)


JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
URI_ACTION = b"<< /S /URI /URI (https://example.org/) >>"

# (what a reader sees, the file, the reason) — every escape and spelling a reader accepts.
DISGUISED: dict[str, tuple[Callable[[Any], bool], bytes, str]] = {
    "escaped /JavaScript in the names tree": (
        lambda r: "/JavaScript" in r.trailer["/Root"]["/Names"],
        pdf(b"/Names << /J#61vaScript 6 0 R >>", URI_ACTION, b"<< /Names [(x) 5 0 R] >>"), "pdf_javascript"),
    "/#4AavaScript": (
        lambda r: "/JavaScript" in r.trailer["/Root"]["/Names"],
        pdf(b"/Names << /#4AavaScript 6 0 R >>", URI_ACTION, b"<< /Names [(x) 5 0 R] >>"), "pdf_javascript"),
    "every letter escaped": (
        lambda r: "/JavaScript" in r.trailer["/Root"]["/Names"],
        pdf(b"/Names << /#4A#61#76#61#53#63#72#69#70#74 6 0 R >>", URI_ACTION, b"<< /Names [(x) 5 0 R] >>"),
        "pdf_javascript"),
    "/Open#41ction": (
        lambda r: "/OpenAction" in r.trailer["/Root"], pdf(b"/Open#41ction 5 0 R", URI_ACTION), "pdf_action"),
    "/A#41 on a page": (
        lambda r: "/AA" in r.pages[0], pdf(b"", URI_ACTION, page=b"/A#41 << /O 5 0 R >>"), "pdf_action"),
    "/AA as an indirect reference": (
        lambda r: "/AA" in r.pages[0], pdf(b"", URI_ACTION, b"<< /O 5 0 R >>", page=b"/AA 6 0 R"), "pdf_action"),
    "/AA, a comment, then its dictionary": (
        lambda r: "/AA" in r.pages[0], pdf(b"", URI_ACTION, page=b"/AA%why not\n<< /O 5 0 R >>"), "pdf_action"),
    "/AA, whitespace of every kind": (
        lambda r: "/AA" in r.pages[0], pdf(b"", URI_ACTION, page=b"/AA\x0c\t\r\n<< /O 5 0 R >>"), "pdf_action"),
    "/OpenAction as an indirect reference": (
        lambda r: "/OpenAction" in r.trailer["/Root"], pdf(b"/OpenAction 5 0 R", URI_ACTION), "pdf_action"),
    "/JS after a tab": (
        lambda r: "/JS" in r.trailer["/Root"]["/OpenAction"],
        pdf(b"/OpenAction 5 0 R", b"<< /S /J#61vaScript /JS\t(app.alert\\(1\\)) >>"), "pdf_javascript"),
    "/JS as a stream, spelt /J#53": (
        lambda r: "/JS" in r.trailer["/Root"]["/OpenAction"],
        pdf(b"/OpenAction 5 0 R", b"<< /S /J#61vaScript /J#53 6 0 R >>",
            b"<< /Length 11 >>\nstream\napp.alert()\nendstream"), "pdf_javascript"),
}


@pytest.mark.parametrize("case", list(DISGUISED))
@pytest.mark.parametrize("chunk", CHUNK_SIZES)
def test_a_disguised_pdf_script_or_action_is_found_wherever_the_chunks_are_cut(case: str, chunk: int) -> None:
    reader_sees, content, reason = DISGUISED[case]
    if chunk == CHUNK_SIZES[0]:
        assert reader_sees(reader_of(content)), "a reader must see what the scanner has to find"
    assert content.index(b"/Catalog") > 4096  # all of it after the type is sniffed
    media_type, reasons = scanned(content, chunk)
    assert media_type == "application/pdf"
    assert reason in reasons


@pytest.mark.parametrize("fragment", [
    b"/JS (x)", b"/JS\t(x)", b"/JS\n(x)", b"/JS\r(x)", b"/JS\x0c(x)", b"/JS\0(x)", b"/JS<78>", b"/JS 7 0 R",
    b"/JS%c\n(x)", b"/JS(x)", b"/JavaScript<<", b"/JavaScript[", b"/JavaScriptx", b"/XFA 9 0 R",
])
def test_every_spelling_of_a_pdf_script_is_found(fragment: bytes) -> None:
    for before in (b"", b"\n" * 4200):  # before the type is known and after
        assert "pdf_javascript" in scanned(b"%PDF-1.7\n" + before + b"1 0 obj << " + fragment + b" >> endobj\n")[1]


@pytest.mark.parametrize("fragment", [b"/JSON (x)", b"/JSX 1", b"/AAPL 1 0 R", b"/BaseFont /AA /Encoding 3 0 R",
                                      b"/Name /AA >>"])
def test_names_that_only_begin_like_a_script_or_an_action_are_not_flagged(fragment: bytes) -> None:
    content = b"%PDF-1.7\n" + b"\n" * 4200 + b"1 0 obj << " + fragment + b" >> endobj\n"
    assert scanned(content) == ("application/pdf", [])


def test_chance_bytes_in_compressed_data_are_not_taken_for_scripts_or_svg() -> None:
    """In a video or a scanned PDF's image data, "<svg" or "/JS" and a delimiter turn up by chance every
    few hundred MB; only what a viewer would act on counts."""
    noise = bytes(range(256)) * 20
    stream = (b"<svg\x93\x11" + noise + b"/JS\x00\x9f\x02" + noise + b"/AA <\x01\xfe" + noise
              + b"/OpenAction 5 x\x88" + noise + b"<svg \x07\x00" + noise)
    content = pdf(b"", b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    assert scanned(content) == ("application/pdf", [])
    video = b"\x00\x00\x00\x18ftypmp42" + noise * 3 + stream + noise * 3
    assert scanned(video) == ("video/mp4", [])
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert scanned(video + svg + noise * 3)[1] == ["svg"]  # a real SVG inside is still found


def test_a_long_comment_after_aa_does_not_hide_the_action() -> None:
    content = pdf(b"", URI_ACTION, page=b"/AA %" + b"x" * 5000 + b"\n<< /O 5 0 R >>")
    assert "/AA" in reader_of(content).pages[0]
    for chunk in (64, 1000, 1 << 20):
        assert "pdf_action" in scanned(content, chunk)[1]


def test_a_pdf_whose_header_is_not_at_the_start_is_still_a_pdf() -> None:
    """Readers look for %PDF- in the first 1024 bytes: text before it must not hide the PDF."""
    content = b"Just a note, nothing to see.\n" * 20 + pdf(b"/OpenAction 5 0 R", JS_ACTION)
    assert "/OpenAction" in reader_of(content).trailer["/Root"]
    media_type, reasons = scanned(content)
    assert media_type == "application/pdf"
    assert {"pdf_action", "pdf_javascript"} <= set(reasons)


def test_an_ordinary_pdf_with_a_link_is_not_flagged() -> None:
    content = pdf(b"", b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://x.org) >> >>",
                  page=b"/Annots [5 0 R]")
    assert scanned(content) == ("application/pdf", [])


def pdf_with_object_stream(hidden: bytes) -> bytes:
    """A PDF 1.5 whose catalog, page tree and action all sit in one compressed object stream, with a
    cross-reference stream: nothing of them is visible without inflating."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>", hidden]
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    index = b" ".join(b"%d %d" % (number, offset) for number, offset in enumerate(offsets, start=1)) + b"\n"
    packed = zlib.compress(index + body)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += (b"5 0 obj\n<< /Type /ObjStm /N 4 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(index), len(packed)) + packed + b"\nendstream\nendobj\n")
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 0xFFFF)] + [struct.pack(">BIH", 2, 5, i) for i in range(4)]
    rows += [struct.pack(">BIH", 1, stream_at, 0), struct.pack(">BIH", 1, xref_at, 0)]
    table = b"".join(rows)
    out += (b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
            + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    return bytes(out)


def test_a_script_inside_a_compressed_object_stream_is_not_seen_which_is_the_stated_limit() -> None:
    """Inflating an untrusted file is opening it: the scanner does not, so this script is not found
    (docs/security.md; the case page says PDFs are "checked for visible scripts only")."""
    content = pdf_with_object_stream(JS_ACTION)
    assert reader_of(content).trailer["/Root"]["/OpenAction"]["/JS"] == "app.alert(1)"
    assert scanned(content) == ("application/pdf", [])


def test_a_pdf_made_by_libreoffice_has_no_object_streams_and_no_flag(tmp_path: Path) -> None:
    soffice = require_tool("soffice")
    (tmp_path / "order.txt").write_text("Приказ № 12. See https://example.org/\n", encoding="utf-8")
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "order.txt")], check=True, capture_output=True,
                   timeout=120)
    content = (tmp_path / "order.pdf").read_bytes()
    assert b"/ObjStm" not in content
    assert scanned(content) == ("application/pdf", [])


# --- Office: Excel 4.0 macro sheets, RTF objects ------------------------------------------------------


def ooxml(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


WORKBOOK = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                           b'content-types"/>',
    "xl/workbook.xml": b'<workbook><sheets><sheet name="Auto_Open" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/worksheets/sheet1.xml": b"<worksheet><sheetData/></worksheet>",
}


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_an_excel_4_macro_sheet_in_a_workbook_is_flagged_as_macros(chunk: int) -> None:
    plain = ooxml(WORKBOOK)
    with_macros = ooxml({**WORKBOOK, "xl/macrosheets/sheet2.xml": b"<xm:macrosheet><sheetData/></xm:macrosheet>"})
    assert scanned(plain, chunk) == ("application/vnd.openxmlformats-officedocument", [])
    assert scanned(with_macros, chunk) == ("application/vnd.openxmlformats-officedocument", ["macros"])


def compound_file(stream_name: str, stream: bytes) -> bytes:
    """An OLE compound file (version 3) holding one stream: the container of a legacy .xls."""
    stream = stream.ljust(max(4096, -(-len(stream) // 512) * 512), b"\0")
    sectors = len(stream) // 512
    end, free, fat_sector, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [fat_sector, end] + [3 + i for i in range(sectors - 1)] + [end]
    fat += [free] * (128 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name.encode("utf-16-le") + b"\0\0") if name else b""
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1 if name else 0)
                + struct.pack("<III", none, none, child) + b"\0" * 36 + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, 1, end, 0) + entry(stream_name, 2, none, 2, len(stream))
                 + entry("", 0, none, 0, 0) * 2)
    return header + struct.pack("<128I", *fat) + directory + stream


def biff(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def workbook(*sheets: tuple[str, int, int]) -> bytes:
    """A legacy (BIFF8) workbook: BOF, a BOUNDSHEET record per (name, visibility, sheet type), EOF."""
    records = biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x1F30, 0x07CD, 0, 0x0206))
    for name, hidden, sheet_type in sheets:
        records += biff(0x0085, struct.pack("<IBB", 0, hidden, sheet_type) + bytes([len(name), 0]) + name.encode())
    return compound_file("Workbook", records + biff(0x000A, b""))


def test_a_legacy_workbook_with_a_macro_sheet_is_flagged_and_an_ordinary_one_is_not() -> None:
    from hachoir.parser import guessParser  # type: ignore[import-untyped]
    from hachoir.stream import InputIOStream  # type: ignore[import-untyped]

    ordinary = workbook(("Sheet1", 0, 0x00), ("Chart1", 0, 0x02))
    streams = [field.description for field in guessParser(InputIOStream(io.BytesIO(ordinary)))]
    assert any('"Workbook"' in description for description in streams)  # a reader finds the workbook
    assert scanned(ordinary) == ("application/x-ole-storage", [])
    for sheets in ([("Sheet1", 0, 0), ("Macro1", 0, 0x01)], [("Sheet1", 0, 0), ("Auto_Open", 2, 0x01)]):
        for chunk in (5, 64, 1 << 20):  # visible, or "very hidden" (2)
            assert scanned(workbook(*sheets), chunk) == ("application/x-ole-storage", ["macros"])


RTF_OBJECT = (rb"{\rtf1\ansi\deff0{\fonttbl{\f0 Times;}}\pard Report.\par"
              rb"{\object\objemb\objupdate{\*\objclass Package}\objw100\objh100{\*\objdata 01050000020000000800"
              rb"00005061636b61676500000000000000000000}}}")


def test_an_rtf_document_with_an_embedded_object_is_flagged() -> None:
    assert scanned(RTF_OBJECT) == ("application/rtf", ["rtf_object"])
    assert scanned(b"{\\rt" + RTF_OBJECT[5:]) == ("application/rtf", ["rtf_object"])  # Word reads {\rt as RTF
    padded = RTF_OBJECT.replace(rb"\pard Report.\par", rb"\pard " + b"Report. " * 1000 + rb"\par")
    for chunk in (3, 64, 1 << 20):
        assert scanned(padded, chunk) == ("application/rtf", ["rtf_object"])
    assert scanned(rb"{\rtf1\ansi{\fonttbl{\f0 Times;}}\pard \b Report\b0 on the objection.\par}") == (
        "application/rtf", [])


def test_an_rtf_document_made_by_libreoffice_is_not_flagged(tmp_path: Path) -> None:
    soffice = require_tool("soffice")
    (tmp_path / "note.txt").write_text("Рапорт об увольнении.\n", encoding="utf-8")
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "rtf",
                    "--outdir", str(tmp_path), str(tmp_path / "note.txt")], check=True, capture_output=True,
                   timeout=120)
    assert scanned((tmp_path / "note.rtf").read_bytes()) == ("application/rtf", [])


@pytest.mark.parametrize(("content", "reason"), [
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><a/></svg>' + b" " * 5000
     + b"<svg/onload\n=alert(1)>", "script"),
    (b'<?xml version="1.0"?><doc>' + b" " * 5000 + b'<a href="JaVaScRiPt:alert(1)"/></doc>', "script"),
    (b'<?xml version="1.0"?><doc>' + b" " * 5000 + b"<x onclick = 'go()'/></doc>", "script"),
])
def test_event_handlers_and_script_links_are_found_in_any_spelling(content: bytes, reason: str) -> None:
    assert reason in scanned(content, 100)[1]


def test_the_word_onload_in_plain_text_is_not_a_script() -> None:
    assert scanned(b"The page's onload handler and onclick events were discussed.\n" * 100) == ("text/plain", [])


# --- through the upload page: kept, flagged, given back, never opened ---------------------------------

MB = 1024 * 1024


@pytest.fixture
def case(anna: User) -> Case:
    return case_open(opened_by=anna, keyring=keyring_of(anna), title="Дело о командировке", number="2026-0202")


def zip_bomb() -> bytes:
    """About 10 KB whose eight entries each claim to expand to 4 GB (32 GB in all): the sizes in
    both the local and the central headers say so."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(8):
            archive.writestr(f"part{number}.bin", b"\0" * MB)
    data = bytearray(buffer.getvalue())
    for magic, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(magic)
        while start >= 0:
            struct.pack_into("<I", data, start + offset, 0xFFFFFFF0)
            start = data.find(magic, start + 1)
    return bytes(data)


def jpeg_with_a_page() -> bytes:
    """A JPEG whose comment segment is a web page (a browser that sniffs would render it)."""
    page = b"<html><body><script>fetch('/staff/').then(r => r.text())</script></body></html>"
    quantisation = b"\xff\xdb\x00\x43\x00" + bytes([1] * 64)
    frame = b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"
    huffman = (b"\xff\xc4\x00\x14\x00\x01" + b"\x00" * 15 + b"\x00"
               + b"\xff\xc4\x00\x14\x10\x01" + b"\x00" * 15 + b"\x00")
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\x00"
    comment = b"\xff\xfe" + struct.pack(">H", len(page) + 2) + page
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + comment + quantisation + frame + huffman + scan + b"\xff\xd9")


def pdf_with_a_zip() -> bytes:
    return pdf(b"") + ooxml({"readme.txt": b"the other half of the file"})


UNOPENED = {
    "a zip bomb": ("архив.zip", zip_bomb(), [], True),
    "a PDF that is also a zip": ("приказ.pdf", pdf_with_a_zip(), ["polyglot"], False),
    "a JPEG that is also a web page": ("фото.jpg", jpeg_with_a_page(), ["html", "polyglot"], False),
    "a web page named .txt": ("заметки.txt", b"<!DOCTYPE html><html><script>fetch('/staff/')</script></html>",
                              ["html", "script"], False),
}

# What would open a file: unpackers, parsers, renderers (names the spies record).
PARSERS = ("zipfile", "hachoir", "exifread", "pypdf", "PIL")
RENDERERS = ("chromium", "chrome", "soffice", "libreoffice", "oosplash", "soffice.bin", "unzip", "7z", "bsdtar",
             "convert", "magick", "ffmpeg", "ffprobe", "pdftoppm", "gs")

SPY_CHILD = '''
import os, runpy, sys
fd, child = int(sys.argv[1]), sys.argv[2]
def spy(owner, attribute, name):
    original = getattr(owner, attribute)
    def recording(*args, **kwargs):
        os.write(fd, name.encode() + b"\\n")
        return original(*args, **kwargs)
    setattr(owner, attribute, recording)
import zipfile
spy(zipfile.ZipFile, "__init__", "zipfile")
for module, attributes, name in (("hachoir.parser", ("guessParser", "createParser"), "hachoir"),
                                 ("exifread", ("process_file",), "exifread"), ("PIL.Image", ("open",), "PIL")):
    try:
        imported = __import__(module, fromlist=["_"])
    except ImportError:
        continue
    for attribute in attributes:
        spy(imported, attribute, name)
try:
    import pypdf
    spy(pypdf.PdfReader, "__init__", "pypdf")
except ImportError:
    pass
sys.argv = [child, *sys.argv[3:]]
runpy.run_path(child, run_name="__main__")
'''


class Spies:
    """What was handed to a parser or started as a process while a file was uploaded: in this process
    (wrapped functions) and in the metadata child (started under a wrapper that wraps the same
    functions there and reports over a pipe, since its limits forbid writing files)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self.calls: list[str] = []
        self.processes: list[list[str]] = []
        self._read, self._write = os.pipe()
        self.children: list[str] = []
        wrapper = tmp_path / "spy_child.py"
        wrapper.write_text(SPY_CHILD, encoding="utf-8")
        monkeypatch.setattr(zipfile.ZipFile, "__init__", self._wrap(zipfile.ZipFile.__init__, "zipfile"))
        monkeypatch.setattr(pypdf.PdfReader, "__init__", self._wrap(pypdf.PdfReader.__init__, "pypdf"))
        import exifread
        import hachoir.parser  # type: ignore[import-untyped]

        monkeypatch.setattr(exifread, "process_file", self._wrap(exifread.process_file, "exifread"))
        for name in ("guessParser", "createParser"):
            monkeypatch.setattr(hachoir.parser, name, self._wrap(getattr(hachoir.parser, name), "hachoir"))
        original_popen = subprocess.Popen.__init__
        spies = self

        def popen(process: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
            argv = [str(a) for a in ([args] if isinstance(args, str | os.PathLike) else args)]
            children = [i for i, a in enumerate(argv) if a.endswith("metadata_child.py")]
            if children:
                at = children[0]
                argv = [*argv[:at], str(wrapper), str(spies._write), *argv[at:]]
                kwargs["pass_fds"] = (*kwargs.get("pass_fds", ()), spies._write)
            spies.processes.append(argv)
            original_popen(process, argv, *rest, **kwargs)

        monkeypatch.setattr(subprocess.Popen, "__init__", popen)

    def _wrap(self, original: Callable[..., Any], name: str) -> Callable[..., Any]:
        def recording(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return original(*args, **kwargs)
        return recording

    def collect(self) -> list[str]:
        """Every call recorded, here and in the children (the pipe closed: all have ended)."""
        self.close(write_only=True)
        with os.fdopen(self._read, "rb") as pipe:
            self._read = -1
            self.children = pipe.read().decode().split()
        return self.calls + self.children

    def close(self, *, write_only: bool = False) -> None:
        if self._write >= 0:
            os.close(self._write)
            self._write = -1
        if self._read >= 0 and not write_only:
            os.close(self._read)
            self._read = -1

    def python_children_unwatched(self) -> list[list[str]]:
        return [argv for argv in self.processes
                if Path(argv[0]).name.startswith("python") and not any(a.endswith("spy_child.py") for a in argv)]


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Spies]:
    spied = Spies(monkeypatch, tmp_path)
    yield spied
    spied.close()


def _bytes_under(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _upload(client: Client, case: Case, name: str, content: bytes) -> str:
    response = client.post(f"/staff/cases/{case.pk}/evidence/upload/",
                           {"file": SimpleUploadedFile(name, content)}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("kind", list(UNOPENED))
def test_a_dangerous_file_is_kept_flagged_given_back_and_never_opened(
    anna: User, case: Case, verified_client: Callable[[User], Client], spies: Spies, evidence_dir: Path, kind: str,
) -> None:
    name, content, reasons, archive = UNOPENED[kind]
    client = verified_client(anna)
    data_dir = Path(settings.DATA_DIR)
    evidence_before, data_before = _bytes_under(evidence_dir), _bytes_under(data_dir)
    page = _upload(client, case, name, content)
    item = EvidenceItem.objects.get(case=case)
    # Kept, and not expanded anywhere: the evidence folder grew by the file and its sealing, no more.
    grown = _bytes_under(evidence_dir) - evidence_before
    assert len(content) <= grown <= len(content) + 64 * 1024
    assert _bytes_under(data_dir) - data_before < 64 * MB  # the database may grow a little; never by GBs
    # Flagged with its reasons, on the page too.
    values = item.decrypt(keyring_of(anna), only=("active_reasons", "media_type"))
    assert json.loads(values.active_reasons or "[]") == reasons
    assert item.active_content is bool(reasons)
    assert ('data-testid="active-content"' in page) is bool(reasons)
    assert ('data-testid="archive"' in page) is archive
    # Given back byte for byte, only as an attachment that no browser renders.
    response = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content  # type: ignore[attr-defined]
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    # Never opened: no unpacker, no renderer, and the zip parts never given to zipfile.
    calls = spies.collect()
    assert "zipfile" not in calls
    assert "hachoir" not in calls
    assert "PIL" not in calls
    if values.media_type != "image/jpeg":
        assert "exifread" not in calls  # a photo's EXIF is read (metadata); nothing else is
    if values.media_type != "application/pdf":
        assert "pypdf" not in calls
    started = {Path(argv[0]).name for argv in spies.processes}
    assert not started & set(RENDERERS), started
    assert spies.python_children_unwatched() == []


def test_the_spies_do_see_a_parser_at_work(
    anna: User, case: Case, verified_client: Callable[[User], Client], spies: Spies,
) -> None:
    """The control: an ordinary Office document's properties are read with zipfile (in the metadata
    child), and the spies report it; so their silence above means something."""
    import docx

    document = docx.Document()
    document.core_properties.author = "Иванов"
    document.add_paragraph("Рапорт")
    buffer = io.BytesIO()
    document.save(buffer)
    _upload(verified_client(anna), case, "рапорт.docx", buffer.getvalue())
    assert "zipfile" in spies.collect()


def test_the_case_page_says_pdfs_are_checked_for_visible_scripts_only(
    anna: User, case: Case, verified_client: Callable[[User], Client],
) -> None:
    client = verified_client(anna)
    _upload(client, case, "order.pdf", pdf_with_object_stream(JS_ACTION))
    page = _upload(client, case, "photo.jpg", jpeg_with_a_page())
    assert page.count('data-testid="pdf-visible-only"') == 1  # the PDF's row, not the photo's
    assert "проверен только на видимые скрипты" in page
    assert not EvidenceItem.objects.get(case=case, number=1).active_content  # the stated limit
