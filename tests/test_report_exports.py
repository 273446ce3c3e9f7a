"""Report exports (defensor/reports/exports.py): a release as CSV and XLSX, as a reader opens them.

The tables are made the way a report makes them, from protected series, with a small count (7,
shown as "< 10") and the count hidden beside it so the total cannot give it away. The exact hidden
counts are chosen so that no published number, date or label contains them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from openpyxl import load_workbook  # type: ignore[import-untyped]

from defensor.reports.disclosure import CountSeries, protect_series
from defensor.reports.exports import ReleaseHeading, release_csv, release_xlsx
from defensor.reports.shown import ShownTable, from_series

QUARTER_KEYS = ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")
QUARTER_LABELS = ("I квартал 2025", "II квартал 2025", "III квартал 2025", "IV квартал 2025")
QUARTER_COUNTS = (7, 23, 41, 17)  # 7 is hidden as "< 10", 17 as "—"

# Labels a spreadsheet would run as formulas if written as they are.
FORMULA_LABELS = ("=SUM(A1)", "- не указано", "@cmd", "+налог")
FORMULA_COUNTS = (30, 45, 12, 0)

LONG_TITLE = "Отказы: суды/военкоматы [по кварталам] *?\\ и всё прочее"


def series_table(title: str, keys: tuple[str, ...], labels: tuple[str, ...], counts: tuple[int, ...]) -> ShownTable:
    protected = protect_series(CountSeries(labels=keys, counts=counts))
    return from_series(key=title, title=title, labels=labels, protected=protected)


@pytest.fixture
def heading() -> ReleaseHeading:
    return ReleaseHeading(
        organisation="Правозащитная группа «Щит»",
        number=3,
        period="I–IV кв. 2025",
        published_at=datetime(2026, 1, 20, 22, 30, tzinfo=UTC),  # already 21 January in Moscow
        threshold=10,
        base=5,
    )


@pytest.fixture
def russian() -> Iterator[None]:
    with override("ru"):
        yield


@pytest.fixture
def refusals(russian: None) -> ShownTable:
    return series_table("Отказы по кварталам", QUARTER_KEYS, QUARTER_LABELS, QUARTER_COUNTS)


@pytest.fixture
def grounds(russian: None) -> ShownTable:
    return series_table("Основания", ("formula", "dash", "at", "plus"), FORMULA_LABELS, FORMULA_COUNTS)


@pytest.fixture
def tables(refusals: ShownTable, grounds: ShownTable) -> list[ShownTable]:
    return [refusals, grounds]


def hidden_exact_counts() -> set[int]:
    protected = protect_series(CountSeries(labels=QUARTER_KEYS, counts=QUARTER_COUNTS))
    return {count for count, shown in zip(QUARTER_COUNTS, protected.cells, strict=True) if shown.value is None}


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def sheet_rows(data: bytes, title: str) -> list[tuple[object, ...]]:
    return list(load_workbook(io.BytesIO(data))[title].iter_rows(values_only=True))


def contains_number(text: str, number: int) -> bool:
    return re.search(rf"(?<!\d){number}(?!\d)", text) is not None


def test_the_tables_hide_a_small_count_and_one_beside_it(refusals: ShownTable) -> None:
    # What the other tests rely on: the release has both markers, and the hidden counts are 7 and 17.
    assert [refusals.text_of(entry) for entry in refusals.entries] == ["< 10", "25", "40", "—"]
    assert hidden_exact_counts() == {7, 17}


def test_csv_has_one_row_per_number_with_the_published_values(
    heading: ReleaseHeading, tables: list[ShownTable]
) -> None:
    data = release_csv(heading, tables)

    assert data.startswith(b"\xef\xbb\xbf")
    header, *rows = csv_rows(data)
    assert len(header) == 8
    assert len(rows) == sum(len(table.entries) + 1 for table in tables)
    expected = [
        [
            "3",
            "I–IV кв. 2025",
            table.title,
            entry.key,
            entry.label,
            "" if entry.value is None else str(entry.value),
            table.text_of(entry) if entry.value is None else "",
            "5",
        ]
        for table in tables
        for entry in (*table.entries, table.total)
        if not entry.label.startswith(("=", "-", "@", "+"))
    ]
    assert [row for row in rows if not row[4].startswith("'")] == expected
    refusal_rows = rows[:5]
    assert [row[4] for row in refusal_rows] == [*QUARTER_LABELS, tables[0].total.label]
    assert [(row[5], row[6]) for row in refusal_rows] == [("", "< 10"), ("25", ""), ("40", ""), ("", "—"), ("90", "")]


def test_csv_neutralises_labels_a_spreadsheet_would_run(heading: ReleaseHeading, tables: list[ShownTable]) -> None:
    _header, *rows = csv_rows(release_csv(heading, tables))

    labels = [row[4] for row in rows if row[3] in {"formula", "dash", "at", "plus"}]
    assert labels == ["'=SUM(A1)", "'- не указано", "'@cmd", "'+налог"]


def test_xlsx_has_a_sheet_per_table_with_numbers_as_numbers(heading: ReleaseHeading, tables: list[ShownTable]) -> None:
    with override("en"):
        data = release_xlsx(heading, tables)
    book = load_workbook(io.BytesIO(data))

    assert book.sheetnames == ["About", "Отказы по кварталам", "Основания"]
    sheet = book["Отказы по кварталам"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [
        ("Отказы по кварталам", "Persons"),
        ("I квартал 2025", "< 10"),
        ("II квартал 2025", 25),
        ("III квартал 2025", 40),
        ("IV квартал 2025", "—"),
        (tables[0].total.label, 90),
    ]
    assert all(type(value) is int for _label, value in rows[1:] if value not in {"< 10", "—"})
    assert sheet.freeze_panes == "A2"
    assert sheet["A6"].font.b
    assert sheet["B6"].font.b
    assert not sheet["A5"].font.b
    assert sheet.column_dimensions["A"].width >= len("III квартал 2025")
    assert book.properties.creator == "Defensor"
    assert book.properties.lastModifiedBy is None


def test_xlsx_keeps_formula_like_labels_as_text(heading: ReleaseHeading, tables: list[ShownTable]) -> None:
    data = release_xlsx(heading, tables)

    sheet = load_workbook(io.BytesIO(data))["Основания"]
    labels = [sheet.cell(row=row, column=1) for row in range(2, 6)]
    assert [cell.value for cell in labels] == list(FORMULA_LABELS)
    assert all(cell.data_type == "s" for cell in labels)
    assert [sheet.cell(row=row, column=2).value for row in range(2, 7)] == [30, 45, 10, 0, 85]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not any("<f>" in archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml"))


def test_about_sheet_states_the_release_and_the_rules(heading: ReleaseHeading, tables: list[ShownTable]) -> None:
    # In the reader's language (Russian here): the headings are looked up through the same catalogue.
    data = release_xlsx(heading, tables)

    about = dict((what, value) for what, value in sheet_rows(data, _("About")) if what is not None)
    assert about[_("Organisation")] == "Правозащитная группа «Щит»"
    assert about[_("Release")] == 3
    assert about[_("Period")] == "I–IV кв. 2025"
    published = about[_("Published")]
    assert isinstance(published, datetime)
    assert published.date() == timezone.localtime(heading.published_at).date()
    assert about[_("Threshold")] == 10
    assert about[_("Rounding base")] == 5
    assert "10" in str(about["< 10"])
    assert "5" in str(about[_("Rounding")])
    assert about["—"]
    assert about["Отказы по кварталам"] == "Отказы по кварталам"


def test_no_exact_hidden_count_appears_in_either_file(heading: ReleaseHeading, tables: list[ShownTable]) -> None:
    hidden = hidden_exact_counts()

    for row in csv_rows(release_csv(heading, tables)):
        for value in row:
            assert not any(contains_number(value, count) for count in hidden), value
    book = load_workbook(io.BytesIO(release_xlsx(heading, tables)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert value not in hidden
                assert not any(contains_number(str(value), count) for count in hidden if isinstance(value, str))


def test_sheet_names_are_valid_and_unique(heading: ReleaseHeading, refusals: ShownTable) -> None:
    titled = [
        replace(refusals, title=LONG_TITLE),
        replace(refusals, title=LONG_TITLE),
        replace(refusals, title="About"),
        replace(refusals, title="'[*]'"),
    ]

    with override("en"):
        data = release_xlsx(heading, titled)

    book = load_workbook(io.BytesIO(data))
    names = book.sheetnames
    assert names[1:] == ["Отказы суды военкоматы по кварт", "Отказы суды военкоматы по к (2)", "About (2)", "Table 4"]
    assert all(len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name) for name in names)
    assert len({name.casefold() for name in names}) == len(names)
    # The full titles stay readable on the About sheet and at the head of each sheet.
    assert book[names[1]]["A1"].value == LONG_TITLE
    assert ("Отказы суды военкоматы по к (2)", LONG_TITLE) in sheet_rows(data, "About")


def test_a_table_made_with_other_rules_is_refused(heading: ReleaseHeading, refusals: ShownTable) -> None:
    # The About sheet states one threshold and one rounding base for the whole release.
    with pytest.raises(ValueError, match="threshold"):
        release_xlsx(heading, [replace(refusals, base=10)])
    with pytest.raises(ValueError, match="threshold"):
        release_csv(heading, [replace(refusals, threshold=5)])
