"""Report charts (defensor/reports/charts.py): what a reader sees, and what no one can read off them."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence

import pytest
from django.utils import translation

from defensor.reports import districts
from defensor.reports.charts import BAR, FONT, INK, PALETTE, bar_chart, district_map
from defensor.reports.disclosure import CountSeries, Suppression, protect_series
from defensor.reports.shown import ShownEntry, ShownTable, from_series

SVG = "{http://www.w3.org/2000/svg}"
MAP_DISTRICTS = districts.DISTRICTS[:8]
GROUPS = districts.DISTRICTS[8:]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """The texts below are asserted in English; one test draws in Russian, the project's default."""
    with translation.override("en"):
        yield


def shown(key: str, labels: Sequence[str], counts: Sequence[int]) -> ShownTable:
    """A table as a report page gets it: counted, protected, shown."""
    protected = protect_series(CountSeries(tuple(labels), tuple(counts)))
    return from_series(key=key, title=f"Persons by {key}", labels=labels, protected=protected)


def by_district(counts: Sequence[int]) -> ShownTable:
    names = [str(districts.DISTRICT_NAMES[key]) for key in districts.DISTRICTS]
    protected = protect_series(CountSeries(districts.DISTRICTS, tuple(counts)))
    return from_series(key="district", title="Persons by federal district", labels=names, protected=protected)


def hand_made(key: str, values: Sequence[int | None]) -> ShownTable:
    entries = tuple(
        ShownEntry(key=f"{key}{i}", label=f"{key} {i}", value=value,
                   suppressed=None if value is not None else Suppression.PRIMARY)
        for i, value in enumerate(values)
    )
    total = ShownEntry("total", "Total", None, Suppression.PRIMARY)
    return ShownTable(key=key, title=key, entries=entries, total=total)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output, parsed to check it is well-formed)


def all_text(root: ET.Element) -> str:
    return " ".join(root.itertext())


def title_of(element: ET.Element) -> str:
    title = element.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def of_class(root: ET.Element, tag: str, name: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if name in (e.get("class") or "").split()]


# Quarters where one count is small (7, "< 10") and one more is hidden so that the total cannot give it away.
QUARTERS = ("2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4", "2026 Q1", "2026 Q2")
COUNTS = (40, 20, 7, 35, 60, 45)


@pytest.fixture
def quarters() -> ShownTable:
    table = shown("quarter", QUARTERS, COUNTS)
    assert [table.text_of(e) for e in table.entries] == ["40", "—", "< 10", "35", "60", "45"]
    return table


@pytest.fixture
def refusers_by_district() -> ShownTable:
    # Central, Northwestern (7), Southern, North Caucasian, Volga, Ural (0), Siberian, Far Eastern, then the groups.
    table = by_district((180, 7, 64, 23, 95, 0, 41, 130, 6, 12, 25))
    assert table.text_of(table.entries[1]) == "< 10"
    return table


def test_a_bar_chart_is_an_image_named_by_its_title_and_described(quarters: ShownTable) -> None:
    root = parse(bar_chart(quarters))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 640 [\d.]+", root.get("viewBox") or "")
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert title.text == "Persons by quarter"
    assert root.get("aria-labelledby") == title.get("id")
    assert desc is not None
    assert root.get("aria-describedby") == desc.get("id")
    assert "6 entries" in (desc.text or "")
    assert "< 10" in (desc.text or "")


def test_bar_heights_are_proportional_to_the_published_numbers() -> None:
    root = parse(bar_chart(hand_made("q", [20, 40, 0, 35])))
    heights = {title_of(bar): float(bar.get("height") or 0) for bar in of_class(root, "rect", "bar")}
    assert heights["q 1: 40"] == pytest.approx(2 * heights["q 0: 20"], abs=0.1)
    assert heights["q 3: 35"] == pytest.approx(35 / 20 * heights["q 0: 20"], abs=0.1)
    assert heights["q 2: 0"] == 0
    # The axis reaches past the largest bar in round steps.
    ticks = [int(t.text or "") for t in of_class(root, "text", "y-label")]
    assert ticks[0] == 0
    assert ticks[-1] >= 40
    assert len({b - a for a, b in itertools.pairwise(ticks)}) == 1


def test_each_shown_entry_is_one_bar_and_the_total_is_none(quarters: ShownTable) -> None:
    root = parse(bar_chart(quarters))
    bars = of_class(root, "rect", "bar")
    assert [title_of(bar) for bar in bars] == ["2025 Q1: 40", "2025 Q4: 35", "2026 Q1: 60", "2026 Q2: 45"]
    assert not any("Total" in title_of(bar) for bar in bars)


def test_a_hidden_entry_is_a_marked_placeholder_the_same_for_every_hidden_count(quarters: ShownTable) -> None:
    root = parse(bar_chart(quarters))
    placeholders = of_class(root, "rect", "bar-hidden")
    assert [title_of(p) for p in placeholders] == ["2025 Q2: —", "2025 Q3: < 10"]
    assert len({(p.get("y"), p.get("height"), p.get("width")) for p in placeholders}) == 1
    assert float(placeholders[0].get("height") or 0) < 10  # a low mark at the baseline, not a bar
    assert not any(title_of(bar).startswith(("2025 Q2", "2025 Q3")) for bar in of_class(root, "rect", "bar"))
    assert sorted(t.text or "" for t in of_class(root, "text", "value-hidden")) == ["< 10", "—"]


def test_no_chart_shows_a_hidden_count(quarters: ShownTable, refusers_by_district: ShownTable) -> None:
    for svg in (bar_chart(quarters), district_map(refusers_by_district)):
        assert "7" not in re.findall(r"\d+", all_text(parse(svg)))
    assert "6" not in re.findall(r"\d+", all_text(parse(district_map(refusers_by_district))))  # annexed, hidden
    # The hidden quarter's 20 (shown as "—") is not printed as a value either.
    assert "20" not in [t.text for t in of_class(parse(bar_chart(quarters)), "text", "value")]


def test_charts_run_nothing_and_fetch_nothing(quarters: ShownTable, refusers_by_district: ShownTable) -> None:
    for svg in (bar_chart(quarters), district_map(refusers_by_district)):
        root = parse(svg)
        tags = {element.tag.removeprefix(SVG) for element in root.iter()}
        assert not tags & {"script", "image", "foreignObject", "style", "a", "use"}
        for element in root.iter():
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on")
                assert "href" not in name
                assert name != "style"
                assert "http" not in value or (element is root and name == "xmlns")
                assert not re.search(r"url\((?!#)", value)


def test_every_text_is_escaped() -> None:
    table = ShownTable(
        key="outcome", title='Refusals <b>"all"</b> & more',
        entries=(ShownEntry("x", "<script>alert(1)</script>", 10), ShownEntry("y", "a & b", None, Suppression.PRIMARY)),
        total=ShownEntry("total", "Total", 20),
    )
    root = parse(bar_chart(table))
    assert root.find(f"{SVG}title") is not None
    assert title_of(root) == 'Refusals <b>"all"</b> & more'
    assert not [e for e in root.iter() if e.tag in (f"{SVG}b", f"{SVG}script", "b", "script")]
    assert "<script>alert(1)</script>" in all_text(root)


def test_two_maps_on_one_page_have_their_own_ids(refusers_by_district: ShownTable) -> None:
    first, second = parse(district_map(refusers_by_district)), parse(district_map(refusers_by_district))
    ids = [[e.get("id") for e in root.iter() if e.get("id")] for root in (first, second)]
    assert ids[0]
    assert not set(ids[0]) & set(ids[1])
    for root in (first, second):
        (pattern,) = root.iter(f"{SVG}pattern")
        northwestern = of_class(root, "polygon", "district-northwestern")
        assert {p.get("fill") for p in northwestern} == {f"url(#{pattern.get('id')})"}


def test_the_map_names_every_district_and_lists_the_other_groups_beside_it(refusers_by_district: ShownTable) -> None:
    root = parse(district_map(refusers_by_district))
    titles = {title_of(p) for p in of_class(root, "polygon", "district")}
    assert {"Central: 180", "Northwestern: < 10", "Ural: 0", "Far Eastern: 130", "North Caucasian: 25"} <= titles
    labels = [" ".join(t.itertext()) for t in of_class(root, "text", "district-label")]
    assert sorted(labels) == sorted(f"{districts.DISTRICT_NAMES[key]} {refusers_by_district.text_of(entry)}"
                                    for key, entry in zip(MAP_DISTRICTS, refusers_by_district.entries, strict=False))
    for key in GROUPS:
        assert not of_class(root, "polygon", f"district-{key}")
    groups = ["".join(t.itertext()) for t in of_class(root, "text", "group")]
    assert groups == ["Annexed regions of Ukraine: < 10", "Outside Russia / other: 10", "Not stated: 25", "Total: 585"]


def test_the_map_shades_more_refusals_darker_with_readable_text(refusers_by_district: ShownTable) -> None:
    root = parse(district_map(refusers_by_district))
    fills = {key: of_class(root, "polygon", f"district-{key}")[0].get("fill") or "" for key in MAP_DISTRICTS}
    order = [fill for fill, _ink in PALETTE]
    assert fills["central"] == order[-1]  # the largest number, the darkest blue
    assert fills["ural"] == order[0]  # a zero, the lightest
    assert order.index(fills["far_eastern"]) > order.index(fills["volga"]) > order.index(fills["southern"])
    # The legend names the ranges, which end at the largest number and at multiples of the rounding base.
    ranges = [t.text or "" for t in root.iter(f"{SVG}text") if re.fullmatch(r"\d+(–\d+)?", t.text or "")]
    assert ranges[0].startswith("0")
    assert ranges[-1].endswith("180")
    assert all(int(end) % 5 == 0 for r in ranges for end in r.split("–"))
    assert "Numbers are rounded to the nearest 5." in all_text(root)


def contrast(one: str, other: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_text_and_bars_meet_wcag_aa_contrast() -> None:
    assert contrast(INK, "#ffffff") >= 4.5
    assert contrast(BAR, "#ffffff") >= 4.5
    for fill, ink in PALETTE:
        assert contrast(fill, ink) >= 4.5, fill


def test_charts_draw_in_russian_too(quarters: ShownTable, refusers_by_district: ShownTable) -> None:
    with translation.override("ru"):
        bars = parse(bar_chart(shown("quarter", QUARTERS, COUNTS)))
        map_ = parse(district_map(by_district((180, 7, 64, 23, 95, 0, 41, 130, 6, 12, 25))))
        names = [str(districts.DISTRICT_NAMES[key]) for key in MAP_DISTRICTS]
    assert len(of_class(bars, "rect", "bar")) == 4
    assert all(name in all_text(map_) for name in names)


@pytest.mark.parametrize("values", [[None] * 6, [0] * 6, []], ids=["all hidden", "all zero", "empty"])
def test_tables_with_nothing_to_scale_by_draw_an_empty_axis(values: list[int | None]) -> None:
    root = parse(bar_chart(hand_made("q", values)))
    assert all(float(bar.get("height") or 0) == 0 for bar in of_class(root, "rect", "bar"))
    assert of_class(root, "line", "grid")
    assert len(of_class(root, "rect", "bar-hidden")) == values.count(None)


def test_a_map_with_nothing_shown_or_all_zero_still_draws() -> None:
    hidden = parse(district_map(by_district((3, 2, 4, 1, 5, 2, 3, 1, 0, 0, 0))))
    assert all((p.get("fill") or "").startswith("url(#") for p in of_class(hidden, "polygon", "district"))
    zero = parse(district_map(by_district((0,) * 11)))
    assert {p.get("fill") for p in of_class(zero, "polygon", "district")} == {PALETTE[0][0]}


@pytest.mark.parametrize("width", [640, 390])
def test_forty_quarters_have_labels_that_do_not_overlap(width: int) -> None:
    labels = [f"{2016 + i // 4} Q{i % 4 + 1}" for i in range(40)]
    counts = [15 + (i * 13) % 50 if i % 7 else 4 for i in range(40)]
    root = parse(bar_chart(shown("quarter", labels, counts), width=width))
    drawn = of_class(root, "text", "x-label")
    xs = [float(t.get("x") or 0) for t in drawn]
    assert 10 <= len(drawn) <= 40
    assert drawn[0].text == "2016 Q1"
    assert min(b - a for a, b in itertools.pairwise(xs)) >= FONT
    assert all(float(t.get("x") or 0) >= 0 for t in drawn)
    assert len(of_class(root, "rect", "bar")) + len(of_class(root, "rect", "bar-hidden")) == 40
