"""What a file is, from its bytes, and whether it carries active content (evidence items, intake
attachments). Nothing is ever opened, parsed, rendered or unpacked: the scanner only looks for
byte patterns as the file streams past.

``media_type`` comes from the first bytes (never from the name). ``reasons`` lists why the file is
flagged as active content: HTML, SVG, XML with scripts, Office macros (``vbaProject.bin`` in the
zip, VBA streams in an OLE file, Excel 4.0 macro sheets: ``xl/macrosheets/`` in the zip or a
BOUNDSHEET record of type "macro" in an .xls), PDFs with JavaScript or automatic actions, RTF
documents with embedded objects (``\\object``, ``\\objdata``…), and a file that is two formats at
once (a polyglot). An archive is marked "archive" and kept as it is.

PDF names may spell any character as ``#xx`` (``/J#61vaScript`` is ``/JavaScript``): the scanner
decodes those escapes before it looks for names, and takes ``/JS`` and ``/AA`` with whatever
delimiter, comment or indirect reference follows them. A PDF is recognised by ``%PDF-`` anywhere in
its first 1024 bytes, where readers look for it, not only at its start.

What it cannot see (a limit, stated on the staff pages as "checked for visible scripts only"): what
lies inside compressed parts. A PDF may keep its dictionaries in compressed object streams
(``/ObjStm``, PDF 1.5+) and an OOXML document its content types and relationships deflated; a script
or an automatic action there, or a VBA part renamed away from ``vbaProject.bin``, is found only by
inflating, and inflating an untrusted file is what this scanner never does. Flagging every PDF with
object streams was measured and rejected: pdfTeX, Acrobat, Word and Ghostscript write them for
ordinary documents, so the flag would sit on a large share of ordinary PDFs and teach staff to ignore
it (LibreOffice's and Chromium's PDFs, and typical scanner PDFs, have none). Such PDFs are not
flagged; the limit is in docs/security.md.

Chance: inside compressed data (a video, a scanned PDF's images) any short pattern turns up by
chance, "<svg" about twice a gigabyte; so in binary files an SVG element counts only with its
namespace nearby, and /JS, /AA and /OpenAction only with a value of their kind after them (a
string, a dictionary, a reference), not merely a delimiter.

Speed: the media type is known once the first 4096 bytes are in, and only the patterns whose finding
could change the result for that type are looked for after that (a video or a photo is searched for
the few marks of a second format, a PDF for its names and scripts, an Office file for macros), so a
large photo or video streams through several times faster than when every pattern was searched in
every chunk. Detection is unchanged: a pattern skipped is one whose reason the type would discard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEAD_BYTES = 4096
_TAIL = 160  # bytes kept between chunks, so a pattern cut in two (or spelled with #xx escapes) is still found
_LOOKAHEAD = 256  # bytes of whitespace and comments looked through after /AA or /JS
# A PDF name this close to the end of a (decoded) window is judged again in the next one: its raw
# bytes, at most three times as many with #xx escapes, are in the tail.
_DEFER = 48

# Reason codes (sealed with the item; shown translated on the pages).
ACTIVE_REASONS = ("html", "svg", "script", "macros", "pdf_javascript", "pdf_action", "rtf_object", "polyglot")

PDF = "application/pdf"
OOXML = "application/vnd.openxmlformats-officedocument"
OLE = "application/x-ole-storage"
RTF = "application/rtf"
ARCHIVES = {"application/zip", "application/x-archive"}
_MARKUP_KINDS = {"application/xml", "image/svg+xml", RTF}
_SVG_AFTER = {b"", b" ", b"\t", b"\n", b"\r", b"\x0c", b">", b"/"}
_SCRIPT_KINDS = {"text/html", "image/svg+xml", "application/xml", "text/plain", PDF}
_MACRO_KINDS = {OOXML, OLE, "application/zip"}

# PDF names (without their "/"), looked for in the lowered window after #xx escapes are decoded.
_PDF_JAVASCRIPT = (b"javascript", b"xfa")  # XFA forms carry their own scripts
_PDF_ACTIONS = (b"launch", b"embeddedfile", b"richmedia", b"submitform", b"importdata")
# Names that count only by what follows: /JS with any value; /AA and /OpenAction with a dictionary or
# a reference (/OpenAction [1 0 R /XYZ …] only opens the document at a page: LibreOffice writes it).
_PDF_PREFIXES = (*_PDF_JAVASCRIPT, *_PDF_ACTIONS, b"js", b"aa", b"openaction")
_PDF_DELIMITERS = frozenset(b"\0\t\n\x0c\r ()<>[]{}/%")
_PDF_WHITESPACE = frozenset(b"\0\t\n\x0c\r ")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

_SCRIPT = (b"<script", b"javascript:", b"vbscript:")
_EVENTS = (b"onload", b"onerror", b"onclick")
_ATTRIBUTE_BEFORE = frozenset(b"\t\n\x0c\r /\"'")
_MACROS = (b"vbaproject.bin", b"vbadata.xml", "_vba_project".encode("utf-16-le"),
           "vba".encode("utf-16-le") + b"\0\0", b"xl/macrosheets/", b"macroenabled")
_BOUNDSHEET = b"\x85\x00"  # BIFF record type of a sheet's entry in an .xls workbook stream
_RTF_OBJECT = b"\\obj"  # \object, \objdata, \objupdate, \objemb, \objlink, \objocx…


def _media_type(head: bytes) -> str:
    lowered = head[:1024].lstrip().lower()
    if head.startswith(b"%PDF-"):
        return PDF
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
            return OOXML
        return "application/zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")):
        return "application/x-archive"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or head[:2] in {b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"}:
        return "audio/mpeg"
    if b"%PDF-" in head[:1024]:  # PDF readers look for the header in the first 1024 bytes
        return PDF
    if head.startswith(b"{\\rt"):  # Word opens anything that starts so as RTF
        return RTF
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


def _decode_names(window: bytes) -> bytes:
    """Every ``#xx`` spelled out (a PDF name's escape). Outside names this may make a pattern that is
    not really there: only ever a reason too many, never one missed."""
    return _NAME_ESCAPE.sub(lambda match: bytes.fromhex(match[1].decode("ascii")), window)


def _name_followed_by(window: bytes, name: bytes, values: tuple[bytes, ...]) -> bool | None:
    """Whether ``name`` occurs as a whole name whose value (after whitespace and comments) starts with
    one of ``values`` or is an indirect reference (``5 0 R``). None: undecided, because the window
    ends first; the tail carries it on. More than ``_LOOKAHEAD`` bytes of whitespace and comments
    after the name count as found: nothing ordinary does that, and looking further for every
    occurrence would let a crafted file stall the scan. The value is checked, not only the delimiter,
    because inside compressed streams "/JS" and a delimiter turn up by chance every few MB."""
    undecided = False
    start = window.find(name)
    while start >= 0:
        position = start + len(name)
        end = min(len(window), position + _LOOKAHEAD)
        if position < end and window[position] not in _PDF_DELIMITERS:
            start = window.find(name, start + 1)  # a longer name (/JSON, /AAx)
            continue
        while position < end:
            byte = window[position]
            if byte in _PDF_WHITESPACE:
                position += 1
            elif byte == 0x25:  # % comment, up to the end of its line
                breaks = [i for i in (window.find(b"\n", position, end), window.find(b"\r", position, end)) if i >= 0]
                position = min(breaks) if breaks else end
            else:
                break
        if position < end:
            if window.startswith(values, position) or _REFERENCE.match(window, position):
                return True
            if len(window) - position < 24:  # the value may go on in the next chunk
                if len(window) - start > _DEFER:
                    return True  # too far back for the tail to carry: counted, to be safe
                undecided = True
        elif end == len(window) and end - start <= _DEFER:
            undecided = True
        else:
            return True  # a comment longer than the window or the lookahead: as good as hiding what follows
        start = window.find(name, start + 1)
    return None if undecided else False


_REFERENCE = re.compile(rb"[0-9]{1,10}[\0\t\n\x0c\r ]+[0-9]{1,5}[\0\t\n\x0c\r ]+r")  # lowered "5 0 R"
_JS_VALUES = (b"(", b"<")  # /JS (a string), /JS <hex string>, or a reference to a stream
_ACTION_VALUES = (b"<<",)  # /AA << … >>, /OpenAction << … >> or a reference ([…] is a page to open at)


def _svg_element(window: bytes) -> bool:
    """An SVG element a viewer would draw: ``<svg`` then whitespace, ``>`` or ``/``, and the SVG
    namespace within 2 KB (or the window ending before it could be seen). Asked only of binary
    files: in compressed data "<svg" turns up by chance about twice a gigabyte."""
    start = window.find(b"<svg")
    while start >= 0:
        if window[start + 4:start + 5] in _SVG_AFTER and (
                b"2000/svg" in window[start:start + 2048] or len(window) - start < 2048):
            return True
        start = window.find(b"<svg", start + 1)
    return False


def _event_attribute(window: bytes) -> bool:
    """An HTML event handler attribute: ``onload=``, ``<svg/onload =`` and the like."""
    for name in _EVENTS:
        start = window.find(name)
        while start >= 0:
            if start > 0 and window[start - 1] in _ATTRIBUTE_BEFORE:
                after = window[start + len(name):start + len(name) + 8].lstrip(b"\t\n\x0c\r ")
                if after.startswith(b"="):
                    return True
            start = window.find(name, start + 1)
    return False


def _xls_macro_sheet(window: bytes) -> bool:
    """A BOUNDSHEET record (0x0085) whose sheet type byte says "macro sheet" (0x01): Excel 4.0
    macros in a legacy workbook. The record's length must fit its name, so stray bytes rarely pass."""
    start = window.find(_BOUNDSHEET)
    while 0 <= start <= len(window) - 14:
        length = int.from_bytes(window[start + 2:start + 4], "little")
        state, kind, chars = window[start + 8], window[start + 9], window[start + 10]
        if kind == 0x01 and state & 0xFC == 0 and 1 <= chars <= 31 and (
                length == 7 + chars  # BIFF5: a byte string
                or (window[start + 11] in (0, 1) and length == 8 + chars * (1 + window[start + 11]))):
            return True
        start = window.find(_BOUNDSHEET, start + 1)
    return False


@dataclass
class ContentScan:
    """Fed every chunk of a file as it streams (``feed``); read ``media_type`` and ``reasons`` after."""

    head: bytes = b""
    _tail: bytes = b""
    _found: set[str] = field(default_factory=set)
    _zip_inside: bool = False
    _pdf_inside: bool = False
    _html_inside: bool = False
    _kind: str | None = None  # the media type, once the head is complete

    def feed(self, chunk: bytes) -> None:
        if self._kind is None:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
            if len(self.head) >= HEAD_BYTES:
                self._kind = _media_type(self.head)
        window = self._tail + chunk
        self._tail = window[-_TAIL:]
        kind = self._kind  # None while the head is incomplete: then everything is looked for
        lowered = window.lower()
        # What any file may hide: a page, an SVG picture, a second format.
        if b"<svg" in lowered and (kind is None or kind.startswith("text/") or kind in _MARKUP_KINDS
                                   or _svg_element(lowered)):
            self._found.add("svg_inside")
        if b"html" in lowered and (b"<html" in lowered or b"<!doctype html" in lowered):
            self._html_inside = True
        if b"PK\x03\x04" in window:  # a zip's local file header: an archive with content
            self._zip_inside = True
        if b"%PDF-" in window:
            self._pdf_inside = True
        if (kind is None or kind in _SCRIPT_KINDS) and (any(p in lowered for p in _SCRIPT)
                                                         or _event_attribute(lowered)):
            self._found.add("script")
        if kind is None or kind == PDF:
            self._pdf_names(_decode_names(window).lower() if b"#" in window else lowered)
        if (kind is None or kind in _MACRO_KINDS) and (any(p in lowered for p in _MACROS) or (
                kind in (None, OLE) and _xls_macro_sheet(window))):
            self._found.add("macros")
        if (kind is None or kind == RTF) and _RTF_OBJECT in lowered:
            self._found.add("rtf_object")

    def _pdf_names(self, names: bytes) -> None:
        """Every name in the window is a piece after a "/": one split and a prefix test each is several
        times faster than a search of the whole window per name. /JS and /AA need what follows."""
        javascript = action = js = aa = open_action = False
        for piece in names.split(b"/")[1:]:
            if not piece.startswith(_PDF_PREFIXES):
                continue
            if piece.startswith(_PDF_JAVASCRIPT):
                javascript = True
            elif piece.startswith(_PDF_ACTIONS):
                action = True
            elif piece.startswith(b"js"):
                js = True
            elif piece.startswith(b"aa"):
                aa = True
            else:
                open_action = True
        javascript = javascript or (js and bool(_name_followed_by(names, b"/js", _JS_VALUES)))
        action = action or (aa and bool(_name_followed_by(names, b"/aa", _ACTION_VALUES))) or (
            open_action and bool(_name_followed_by(names, b"/openaction", _ACTION_VALUES)))
        if javascript:
            self._found.add("pdf_javascript")
        if action:
            self._found.add("pdf_action")

    @property
    def media_type(self) -> str:
        return self._kind or _media_type(self.head)

    @property
    def reasons(self) -> list[str]:
        kind = self.media_type
        found: set[str] = set()
        if kind == "text/html" or self._html_inside:
            found.add("html")
        if kind == "image/svg+xml" or "svg_inside" in self._found:
            found.add("svg")
        if "script" in self._found and kind in _SCRIPT_KINDS:
            found.add("script")
        if "macros" in self._found and kind in _MACRO_KINDS:
            found.add("macros")
        if kind == PDF:
            found |= {r for r in ("pdf_javascript", "pdf_action") if r in self._found}
        if kind == RTF and "rtf_object" in self._found:
            found.add("rtf_object")
        # Two formats in one file: a PDF that is also a zip or a page, a picture that is a page, a text
        # with a PDF after its first 1024 bytes (some readers find it there)…
        formats = (kind == PDF or self._pdf_inside, self._zip_inside or kind in ARCHIVES,
                   kind == "text/html" or self._html_inside)
        picture = kind.startswith("image/") and kind != "image/svg+xml"
        if sum(formats) > 1 or (picture and (self._html_inside or self._pdf_inside)) or (
                kind.startswith("text/") and self._pdf_inside):
            found.add("polyglot")
        return sorted(found)

    @property
    def archive(self) -> bool:
        return self.media_type in ARCHIVES
