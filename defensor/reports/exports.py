"""A published report release as files a reader takes away: CSV for machines, XLSX for people.

Both are made from ``ShownTable`` only (see ``shown.py``), so neither can hold an exact count: a
number is the published, rounded one, or the marker that stands for it ("< 10", "—").

The CSV is tidy ("long"): one header row, then one row per shown number, every row complete in
itself, so a journalist can filter, pivot or join it without cutting anything off first::

    release, period, table, key, label, count, hidden, rounded to
    3, Q1 2025 – Q3 2025, Refusals by quarter, 2025-Q1, Q1 2025, 35, , 5
    3, Q1 2025 – Q3 2025, Refusals by quarter, 2025-Q2, Q2 2025, , < 10, 5
    3, Q1 2025 – Q3 2025, Refusals by quarter, total, Total, 90, , 5

``count`` holds only numbers (empty when hidden), so summing or charting the column never meets
text; ``hidden`` says which marker a reader of the page sees instead. ``key`` is the stable value a
line stands for (the same in every language), ``label`` what a reader sees. ``rounded to`` repeats
the rounding base on every row because it is what a reader comparing counts with totals needs to
know, and a row copied elsewhere keeps it; the threshold needs no column, the marker carries it.
Each table ends with its total row (key ``total``). Nothing else goes in: heading lines or notes
would break every reader that expects a header row; the explanation of the markers lives on the
XLSX's first sheet. The file is UTF-8 with a byte order mark (Excel then reads Cyrillic right),
comma-separated as RFC 4180 says; Excel set to a Russian locale expects semicolons when a CSV is
opened by double-click, which is what the XLSX is for.

The XLSX opens on an "About" sheet (organisation, release, period, publication date, the rules in
words, and which sheet holds which table), then one sheet per table: label and count, counts as
numbers where shown (so sums and charts work) and the marker as text where hidden, the total last
in bold.

Labels and titles come from translations and from what staff typed, so a text that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a line break) is made
inert: in the CSV by a leading apostrophe, in the XLSX by storing it as a string cell with Excel's
quote prefix (the text itself is kept as it is).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped]

from defensor.reports.shown import ShownEntry, ShownTable


@dataclass(frozen=True)
class ReleaseHeading:
    """What a release says about itself; every table in it uses ``threshold`` and ``base``."""

    organisation: str  # the organisation's name
    number: int  # release number
    period: str  # e.g. "Q1 2025 – Q3 2025", already in the reader's language
    published_at: datetime  # aware
    threshold: int  # e.g. 10
    base: int  # e.g. 5


# What a spreadsheet may take for the start of a formula. Leading spaces are skipped because some
# programs skip them too; the full-width signs because some programs fold them to ASCII.
_FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
_CONTROL_STARTS = ("\t", "\r", "\n")


def _formula_like(text: str) -> bool:
    return text.startswith(_CONTROL_STARTS) or text.lstrip().startswith(_FORMULA_STARTS)


def _check_rules(heading: ReleaseHeading, tables: Sequence[ShownTable]) -> None:
    # The rules are stated once per release, so they must be the rules every table was made with.
    for table in tables:
        if (table.threshold, table.base) != (heading.threshold, heading.base):
            raise ValueError("every table of a release must use the release's threshold and rounding base")


# CSV


def _csv_text(text: str) -> str:
    return "'" + text if _formula_like(text) else text


def release_csv(heading: ReleaseHeading, tables: Sequence[ShownTable]) -> bytes:
    """The release as one tidy CSV table (see the module's docstring), UTF-8 with a BOM."""
    _check_rules(heading, tables)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(
        [
            _csv_text(column)
            for column in (
                _("release"),
                _("period"),
                _("table"),
                _("key"),
                _("label"),
                _("count"),
                _("hidden"),
                _("rounded to"),
            )
        ]
    )
    for table in tables:
        for entry in (*table.entries, table.total):
            hidden = entry.value is None or entry.suppressed is not None
            writer.writerow(
                [
                    heading.number,
                    _csv_text(heading.period),
                    _csv_text(table.title),
                    _csv_text(entry.key),
                    _csv_text(entry.label),
                    "" if hidden else entry.value,
                    _csv_text(table.text_of(entry)) if hidden else "",
                    table.base,
                ]
            )
    return out.getvalue().encode("utf-8-sig")


# XLSX

_SHEET_TITLE_MAX = 31  # Excel's limit
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_WIDTH_MAX = 80
_BOLD = Font(bold=True)
_WRAPPED = Alignment(wrap_text=True, vertical="top")
_RIGHT = Alignment(horizontal="right")


def _xlsx_text(text: str) -> str:
    # Control characters other than tab and line breaks cannot be stored in the file at all.
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", text)
    return cleaned


def _put_text(sheet: Worksheet, row: int, column: int, text: str, *, bold: bool = False) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = _xlsx_text(text)
    if _formula_like(cell.value):
        # openpyxl takes a string starting with "=" for a formula: store it as text, and mark it so
        # that Excel keeps it text when someone edits the cell.
        cell.data_type = "s"
        cell.quotePrefix = True
    if bold:
        cell.font = _BOLD


def _put_value(sheet: Worksheet, row: int, column: int, value: object, *, bold: bool = False) -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    if bold:
        cell.font = _BOLD


def _sheet_titles(titles: Sequence[str], taken: Sequence[str]) -> list[str]:
    """Excel sheet names for ``titles``: no []:*?/\\, at most 31 characters, not blank, not
    starting or ending with an apostrophe, and unique (Excel compares them ignoring case)."""
    used = {title.casefold() for title in taken}
    names: list[str] = []
    for number, title in enumerate(titles, start=1):
        cleaned = " ".join(_SHEET_TITLE_FORBIDDEN.sub(" ", _xlsx_text(title)).split()).strip("'").strip()
        stem = cleaned[:_SHEET_TITLE_MAX].rstrip(" '") or _("Table %(number)d") % {"number": number}
        name, copy = stem, 1
        # "History" is reserved by Excel.
        while name.casefold() in used or name.casefold() == "history":
            copy += 1
            suffix = f" ({copy})"
            name = stem[: _SHEET_TITLE_MAX - len(suffix)].rstrip(" '") + suffix
        used.add(name.casefold())
        names.append(name)
    return names


def _width(texts: Sequence[str], least: int) -> int:
    longest = max((len(line) for text in texts for line in text.splitlines()), default=0)
    return min(max(longest, least) + 2, _WIDTH_MAX)


def _about_sheet(sheet: Worksheet, heading: ReleaseHeading, tables: Sequence[ShownTable], names: Sequence[str]) -> None:
    marker = f"< {heading.threshold}"
    published = timezone.localtime(heading.published_at).date()
    rows: list[tuple[str, object]] = [
        (_("Organisation"), heading.organisation),
        (_("Release"), heading.number),
        (_("Period"), heading.period),
        (_("Published"), published),
        ("", ""),
        (_("How the numbers are protected"), ""),
        (_("Threshold"), heading.threshold),
        (_("Rounding base"), heading.base),
        (
            marker,
            _("Fewer than %(threshold)d persons: too few to show without risk of identifying anyone.")
            % {"threshold": heading.threshold},
        ),
        (
            "—",
            _(
                "Not shown, so that the numbers hidden beside it cannot be worked out from the totals, "
                "the other numbers shown or earlier releases."
            ),
        ),
        (
            _("Rounding"),
            _(
                "Every number shown, totals included, is rounded on its own to the nearest multiple "
                "of %(base)d, so the numbers shown need not add up to the totals shown."
            )
            % {"base": heading.base},
        ),
        ("", ""),
        (_("Tables"), ""),
        *((name, table.title) for name, table in zip(names, tables, strict=True)),
    ]
    headings = {_("How the numbers are protected"), _("Tables")}
    for row, (what, value) in enumerate(rows, start=1):
        if what:
            _put_text(sheet, row, 1, what, bold=what in headings)
        if value == "":
            continue
        if isinstance(value, str):
            _put_text(sheet, row, 2, value)
        else:
            _put_value(sheet, row, 2, value)
            if isinstance(value, date):
                sheet.cell(row=row, column=2).number_format = "yyyy-mm-dd"
    sheet.column_dimensions["A"].width = _width([what for what, _value in rows], 12)
    sheet.column_dimensions["B"].width = _width([value for _what, value in rows if isinstance(value, str)], 12)
    for row in range(1, len(rows) + 1):
        sheet.cell(row=row, column=2).alignment = _WRAPPED


def _table_sheet(sheet: Worksheet, table: ShownTable) -> None:
    counts_header = capfirst(table.counts) if table.counts else _("Persons")
    _put_text(sheet, 1, 1, table.title, bold=True)
    _put_text(sheet, 1, 2, counts_header, bold=True)
    entries: tuple[ShownEntry, ...] = (*table.entries, table.total)
    for row, entry in enumerate(entries, start=2):
        is_total = entry is table.total
        _put_text(sheet, row, 1, entry.label, bold=is_total)
        if entry.value is None or entry.suppressed is not None:
            _put_text(sheet, row, 2, table.text_of(entry), bold=is_total)
            sheet.cell(row=row, column=2).alignment = _RIGHT  # where the numbers above stand
        else:
            _put_value(sheet, row, 2, entry.value, bold=is_total)
    sheet.column_dimensions["A"].width = _width([table.title, *(e.label for e in entries)], 12)
    sheet.column_dimensions["B"].width = _width([counts_header], 8)
    sheet.freeze_panes = "A2"


def release_xlsx(heading: ReleaseHeading, tables: Sequence[ShownTable]) -> bytes:
    """The release as a workbook: an "About" sheet, then one sheet per table."""
    _check_rules(heading, tables)
    book = Workbook()
    about = book.active
    about.title = _sheet_titles([_("About")], ())[0]
    names = _sheet_titles([table.title for table in tables], [about.title])
    _about_sheet(about, heading, tables, names)
    for name, table in zip(names, tables, strict=True):
        _table_sheet(book.create_sheet(title=name), table)

    # Excel keeps no time zone; openpyxl sets "modified" itself when saving.
    published = heading.published_at.astimezone(UTC).replace(tzinfo=None)
    properties = book.properties
    properties.creator = "Defensor"
    properties.lastModifiedBy = None
    properties.title = _("%(organisation)s: release %(number)d") % {
        "organisation": heading.organisation,
        "number": heading.number,
    }
    properties.created = published
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
