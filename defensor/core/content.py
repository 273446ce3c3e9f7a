"""What a file is, from its bytes, and whether it carries active content (evidence items, intake
attachments). Nothing is ever opened, parsed, rendered or unpacked: the scanner only looks for
byte patterns as the file streams past.

``media_type`` comes from the first bytes (never from the name). ``reasons`` lists why the file is
flagged as active content: HTML, SVG, XML with scripts, Office macros (``vbaProject.bin`` in the
zip, VBA streams in an OLE file), PDFs with JavaScript or automatic actions, and a file that is
two formats at once (a polyglot). An archive is marked "archive" and kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEAD_BYTES = 4096
_TAIL = 64  # bytes kept between chunks, so a pattern cut in two is still found

# Reason codes (sealed with the item; shown translated on the pages).
ACTIVE_REASONS = ("html", "svg", "script", "macros", "pdf_javascript", "pdf_action", "polyglot")

_PDF_JAVASCRIPT = (b"/javascript", b"/js ", b"/js(", b"/js<", b"/js\n", b"/js\r", b"/js/")
_PDF_ACTIONS = (b"/openaction", b"/aa<<", b"/aa <<", b"/aa\n<<", b"/aa\r\n<<", b"/launch", b"/embeddedfile",
                b"/richmedia", b"/submitform")
_SCRIPT = (b"<script", b"javascript:", b" onload=", b" onerror=", b" onclick=")
_MACROS = (b"vbaproject.bin", b"vbadata.xml", "_vba_project".encode("utf-16-le"), "vba".encode("utf-16-le") + b"\0\0")


def _media_type(head: bytes) -> str:
    lowered = head[:1024].lstrip().lower()
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "image/heic" if head[8:12] in {b"heic", b"heix", b"mif1", b"msf1", b"hevc"} else "video/mp4"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"PK\x03\x04"):
        if b"[Content_Types].xml" in head or b"mimetypeapplication/vnd.oasis" in head or b"word/" in head:
            return "application/vnd.openxmlformats-officedocument"
        return "application/zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"
    if head.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")):
        return "application/x-archive"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or head[:2] in {b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"}:
        return "audio/mpeg"
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "text/html"
    if b"<svg" in lowered:
        return "image/svg+xml"
    if lowered.startswith(b"<?xml"):
        return "application/xml"
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    return "text/plain"


ARCHIVES = {"application/zip", "application/x-archive"}


@dataclass
class ContentScan:
    """Fed every chunk of a file as it streams (``feed``); read ``media_type`` and ``reasons`` after."""

    head: bytes = b""
    _tail: bytes = b""
    _found: set[str] = field(default_factory=set)
    _zip_inside: bool = False
    _pdf_inside: bool = False
    _html_inside: bool = False

    def feed(self, chunk: bytes) -> None:
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        window = (self._tail + chunk).lower()
        if any(p in window for p in _PDF_JAVASCRIPT):
            self._found.add("pdf_javascript")
        if any(p in window for p in _PDF_ACTIONS):
            self._found.add("pdf_action")
        if any(p in window for p in _SCRIPT):
            self._found.add("script")
        if any(p in window for p in _MACROS):
            self._found.add("macros")
        if b"<svg" in window:
            self._found.add("svg_inside")
        if b"<html" in window or b"<!doctype html" in window:
            self._html_inside = True
        if b"pk\x03\x04" in window or b"pk\x05\x06" in window:
            self._zip_inside = True
        if b"%pdf-" in window:
            self._pdf_inside = True
        self._tail = window[-_TAIL:]

    @property
    def media_type(self) -> str:
        return _media_type(self.head)

    @property
    def reasons(self) -> list[str]:
        kind = self.media_type
        found: set[str] = set()
        if kind == "text/html" or self._html_inside:
            found.add("html")
        if kind == "image/svg+xml" or "svg_inside" in self._found:
            found.add("svg")
        if "script" in self._found and kind in {"text/html", "image/svg+xml", "application/xml", "text/plain",
                                                 "application/pdf"}:
            found.add("script")
        if "macros" in self._found and kind in {"application/vnd.openxmlformats-officedocument",
                                                 "application/x-ole-storage", "application/zip"}:
            found.add("macros")
        if kind == "application/pdf":
            found |= {r for r in ("pdf_javascript", "pdf_action") if r in self._found}
        # Two formats in one file: a PDF that is also a zip or a page, a picture that is a page…
        formats = (kind == "application/pdf" or self._pdf_inside, self._zip_inside or kind in ARCHIVES,
                   kind == "text/html" or self._html_inside)
        picture = kind.startswith("image/") and kind != "image/svg+xml"
        if sum(formats) > 1 or (picture and (self._html_inside or self._pdf_inside)):
            found.add("polyglot")
        return sorted(found)

    @property
    def archive(self) -> bool:
        return self.media_type in ARCHIVES
