"""Disclosure control (defensor/reports/disclosure.py): what a reader of a published table can work out.

Every check here solves for the hidden numbers independently of the module: by enumerating every
table a reader cannot rule out (small tables) and by scipy's LP solver (random tables), with the
reader's knowledge written out again from what the page shows. acro, the maintained SDC library,
is run on the same microdata for the threshold rule and for rounding.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from defensor.reports.disclosure import (
    CountSeries,
    CountTable,
    Interval,
    Place,
    ProtectedTable,
    PublishedCount,
    ReleaseRefused,
    Suppression,
    differencing_risks,
    protect_series,
    protect_table,
    round_to_base,
)

DISTRICTS = ("Central", "North-West", "Southern", "North Caucasus", "Volga", "Urals", "Siberian", "Far Eastern")
QUARTERS = ("2025 Q1", "2025 Q2", "2025 Q3")
OUTCOMES = ("dismissed", "prosecuted", "acquitted")


def table(counts: list[list[int]]) -> CountTable:
    rows = [f"r{i}" for i in range(len(counts))]
    columns = [f"c{j}" for j in range(len(counts[0]))]
    return CountTable.build(rows, columns, counts)


def published(protected: ProtectedTable) -> dict[Place, PublishedCount]:
    """Every number of a protected table by its place, as the page gets them."""
    numbers: dict[Place, PublishedCount] = {}
    for i, row in enumerate(protected.cells):
        for j, count in enumerate(row):
            numbers[Place("cell", i, j)] = count
    for i, count in enumerate(protected.row_totals):
        numbers[Place("row", i)] = count
    for j, count in enumerate(protected.column_totals):
        numbers[Place("column", None, j)] = count
    numbers[Place("total")] = protected.total
    return numbers


def exact(source: CountTable, place: Place) -> int:
    if place.kind == "cell":
        assert place.row is not None
        assert place.column is not None
        return source.counts[place.row][place.column]
    if place.kind == "row":
        assert place.row is not None
        return source.row_totals[place.row]
    if place.kind == "column":
        assert place.column is not None
        return source.column_totals[place.column]
    return source.total


def reader_domain(protected: ProtectedTable, place: Place, ceiling: int) -> range:
    """What a reader knows of one number from the page alone (rewritten here, not imported).

    Shown: its exact value (more than the rounded figure: the strictest reader). "< 10": 1…9, or
    0…9 where its row or column total is itself "< 10" (zeros hide there). "—": 10 or more.
    """
    numbers = published(protected)
    count = numbers[place]
    threshold = protected.threshold
    if count.suppressed is None:
        value = exact(protected.source, place)
        return range(value, value + 1)
    if count.suppressed is Suppression.PRIMARY:
        small_line = place.kind == "cell" and (
            numbers[Place("row", place.row)].suppressed is Suppression.PRIMARY
            or numbers[Place("column", None, place.column)].suppressed is Suppression.PRIMARY
        )
        return range(0 if small_line else 1, threshold)
    return range(threshold, ceiling + 1)


def enumerate_tables(protected: ProtectedTable) -> Iterator[list[list[int]]]:
    """Every table of cells consistent with the page (the grand total must be shown).

    Row by row: the row's hidden cells over their domains, the row's total either shown (their sum
    is fixed) or within its own domain; the last row is what shown column totals leave; then the
    columns and the grand total are checked.
    """
    source = protected.source
    numbers = published(protected)
    assert numbers[Place("total")].suppressed is None, "the enumeration needs the grand total"
    grand = source.total
    rows, columns = len(source.row_labels), len(source.column_labels)

    def row_options(i: int) -> list[list[int]]:
        domains = [reader_domain(protected, Place("cell", i, j), grand) for j in range(columns)]
        total_domain = reader_domain(protected, Place("row", i), grand)
        options = []
        if len(total_domain) == 1:  # a shown total: the last cell follows from the others
            for values in itertools.product(*domains[:-1]):
                last = total_domain[0] - sum(values)
                if last in domains[-1]:
                    options.append([*values, last])
            return options
        for values in itertools.product(*domains):
            if sum(values) in total_domain:
                options.append(list(values))
        return options

    column_domains = [reader_domain(protected, Place("column", None, j), grand) for j in range(columns)]
    last_domains = [reader_domain(protected, Place("cell", rows - 1, j), grand) for j in range(columns)]
    last_total = reader_domain(protected, Place("row", rows - 1), grand)
    for earlier in itertools.product(*(row_options(i) for i in range(rows - 1))):
        if all(len(domain) == 1 for domain in column_domains):
            # Shown column totals: the last row is what they leave.
            last = [column_domains[j][0] - sum(r[j] for r in earlier) for j in range(columns)]
            if not (all(last[j] in last_domains[j] for j in range(columns)) and sum(last) in last_total):
                continue
            lasts = [last]
        else:
            lasts = row_options(rows - 1)
        for last in lasts:
            candidate = [*earlier, last]
            if sum(map(sum, candidate)) != grand:
                continue
            if all(sum(r[j] for r in candidate) in column_domains[j] for j in range(columns)):
                yield [list(r) for r in candidate]


def brute_force_ranges(protected: ProtectedTable) -> dict[tuple[int, int], set[int]]:
    seen: dict[tuple[int, int], set[int]] = {}
    for candidate in enumerate_tables(protected):
        for i, row in enumerate(candidate):
            for j, value in enumerate(row):
                seen.setdefault((i, j), set()).add(value)
    return seen


# The district table: refusers by quarter × four districts, with small cells.
SMALL_CELLS = [
    [31, 4, 22, 0],
    [27, 12, 3, 18],
    [40, 15, 26, 11],
]


def test_every_hidden_count_of_a_table_with_small_cells_stays_unrecoverable() -> None:
    """Solving from the shown totals and cells (every possible table enumerated) never pins a hidden count."""
    source = CountTable.build(QUARTERS, DISTRICTS[:4], SMALL_CELLS)
    protected = protect_table(source)
    numbers = published(protected)

    small = {(0, 1), (1, 2)}
    assert {
        (p.row, p.column) for p, c in numbers.items() if p.kind == "cell" and c.suppressed is Suppression.PRIMARY
    } == small
    assert any(c.suppressed is Suppression.COMPLEMENTARY for c in numbers.values())
    # The scale stays visible: every total is shown (hiding cells was enough).
    assert all(c.value is not None for p, c in numbers.items() if p.kind != "cell")

    ranges = brute_force_ranges(protected)
    intervals = protected.intervals()
    assert ranges[(0, 1)] >= {4}
    assert ranges[(1, 2)] >= {3}
    for (i, j), values in ranges.items():
        place = Place("cell", i, j)
        # The module's own solver agrees with the enumeration, number by number.
        assert intervals[place] == Interval(min(values), max(values)), place
        if numbers[place].suppressed is not None:
            assert len(values) > 1, f"{place} is recovered"
        if numbers[place].suppressed is Suppression.PRIMARY:
            # Not just "not exact": a reader cannot narrow it below 5 wide (e.g. 1…6).
            assert max(values) - min(values) >= 5, (place, sorted(values))


def test_hiding_only_the_small_cells_would_give_them_away() -> None:
    """The same table with primary suppression alone: the enumeration recovers the 4 and the 3 exactly.

    This is what a version without complementary suppression would publish, so the test above
    would fail on it.
    """
    source = CountTable.build(QUARTERS, DISTRICTS[:4], SMALL_CELLS)
    protected = protect_table(source)
    naive = ProtectedTable(
        source=source,
        cells=tuple(
            tuple(
                PublishedCount(None, Suppression.PRIMARY) if 0 < n < 10 else PublishedCount(round_to_base(n))
                for n in row
            )
            for row in SMALL_CELLS
        ),
        row_totals=tuple(PublishedCount(round_to_base(n)) for n in source.row_totals),
        column_totals=tuple(PublishedCount(round_to_base(n)) for n in source.column_totals),
        total=PublishedCount(round_to_base(source.total)),
        threshold=10,
        base=5,
        protection=5,
    )
    ranges = brute_force_ranges(naive)
    assert ranges[(0, 1)] == {4}
    assert ranges[(1, 2)] == {3}
    assert naive.intervals()[Place("cell", 0, 1)] == Interval(4, 4)
    assert protected.intervals()[Place("cell", 0, 1)] != Interval(4, 4)


def test_a_lone_small_row_total_is_hidden_with_another_so_the_grand_total_does_not_give_it_away() -> None:
    """A district with 6 refusers: its total is "< 10", its zeros hide, and the other totals don't add up to it."""
    source = CountTable.build(DISTRICTS[:3], OUTCOMES, [[30, 14, 12], [2, 4, 0], [25, 11, 19]])
    protected = protect_table(source)
    numbers = published(protected)
    assert numbers[Place("row", 1)].suppressed is Suppression.PRIMARY
    # The zero in that row would say "none of the six was acquitted": it reads "< 10" like its neighbours.
    assert [c.suppressed for c in protected.cells[1]] == [Suppression.PRIMARY] * 3
    assert numbers[Place("total")].value == round_to_base(source.total)

    intervals = protected.intervals()
    assert intervals[Place("row", 1)].width != 0
    ranges = brute_force_ranges(protected)
    for j in range(3):
        assert len(ranges[(1, j)]) > 1
    assert 0 in ranges[(1, 0)], "a reader cannot even tell anyone in that row was dismissed"
    totals = {sum(candidate[1]) for candidate in enumerate_tables(protected)}
    assert len(totals) > 1
    assert 6 in totals


def test_zeros_are_shown_where_they_name_nobody() -> None:
    """Zeros in large rows and columns, in an empty row, and structural zeros are shown as 0."""
    source = CountTable.build(
        ("2025 Q1", "2025 Q2", "2025 Q3"),
        ("dismissed", "prosecuted", "acquitted"),
        [[40, 0, 25], [0, 0, 0], [33, 18, 0]],
        structural_zeros=[(2, 2)],
    )
    protected = protect_table(source)
    assert protected.cells[0][1] == PublishedCount(0)
    assert [c.value for c in protected.cells[1]] == [0, 0, 0]
    assert protected.row_totals[1] == PublishedCount(0)
    assert protected.cells[2][2] == PublishedCount(0, None, structural=True)
    assert all(c.suppressed is None for row in protected.cells for c in row)


def test_a_structural_zero_in_a_small_line_stays_shown_and_must_be_zero() -> None:
    source = CountTable.build(("a", "b"), ("x", "y", "z"), [[3, 2, 0], [20, 30, 40]], structural_zeros=[(0, 2)])
    protected = protect_table(source)
    assert protected.cells[0][2] == PublishedCount(0, None, structural=True)
    assert protected.row_totals[0].suppressed is Suppression.PRIMARY
    with pytest.raises(ValueError, match="structural zero"):
        CountTable.build(("a",), ("x",), [[3]], structural_zeros=[(0, 0)])


def test_shown_numbers_are_rounded_to_five_and_totals_on_their_own() -> None:
    """Cells and totals are each rounded to the nearest 5; shown cells need not add up to shown totals."""
    counts = (0, 2, 3, 7, 8, 10, 12, 13, 22, 23, 101)
    assert [round_to_base(n) for n in counts] == [0, 0, 5, 5, 10, 10, 10, 15, 20, 25, 100]
    assert round_to_base(13, 10) == 10
    assert round_to_base(15, 10) == 20
    assert round_to_base(7, 1) == 7
    with pytest.raises(ValueError, match="base"):
        round_to_base(3, 0)

    source = CountTable.build(("a", "b"), ("x", "y"), [[11, 12], [13, 14]])
    protected = protect_table(source)
    assert [[c.value for c in row] for row in protected.cells] == [[10, 10], [15, 15]]
    assert [c.value for c in protected.row_totals] == [25, 25]  # 23 and 27, not 10 + 10 and 15 + 15
    assert [c.value for c in protected.column_totals] == [25, 25]
    assert protected.total.value == 50
    # Suppression is decided on exact counts: 10 is shown (rounds to 10), 9 is hidden (would round to 10).
    edge = protect_table(CountTable.build(("a", "b"), ("x", "y"), [[10, 9], [40, 30]]))
    assert edge.cells[0][0].suppressed is not Suppression.PRIMARY
    assert edge.cells[0][1].suppressed is Suppression.PRIMARY


def test_a_series_hides_a_small_entry_with_another_so_its_total_can_stay() -> None:
    protected = protect_series(CountSeries(OUTCOMES, (3, 40, 25)))
    assert [c.suppressed for c in protected.cells] == [Suppression.PRIMARY, None, Suppression.COMPLEMENTARY]
    assert protected.total.value == 70
    assert protected.cells[1].value == 40
    assert protected.intervals()[Place("cell", 0, 0)] == Interval(1, 9)

    small = protect_series(CountSeries(OUTCOMES, (3, 4, 0)))
    assert [c.suppressed for c in small.cells] == [Suppression.PRIMARY] * 3
    assert small.total.suppressed is Suppression.PRIMARY


# acro: the same threshold rule and rounding on the same microdata.


@pytest.fixture
def acro_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    acro = pytest.importorskip("acro")
    monkeypatch.chdir(tmp_path)  # acro may write its outputs where it runs
    logging.getLogger("acro").setLevel(logging.WARNING)
    session = acro.ACRO(suppress=True)
    return session


def microdata(source: CountTable) -> Any:
    """One row per person, as acro takes it: the row's and the column's label."""
    import pandas as pd

    people = [
        (source.row_labels[i], source.column_labels[j])
        for i, row in enumerate(source.counts)
        for j, count in enumerate(row)
        for _ in range(count)
    ]
    frame = pd.DataFrame(people, columns=["row", "column"])
    frame["row"] = pd.Categorical(frame["row"], categories=list(source.row_labels))
    frame["column"] = pd.Categorical(frame["column"], categories=list(source.column_labels))
    return frame


def acro_masked(session: object, source: CountTable) -> set[tuple[int, int]]:
    """The cells acro's crosstab with suppression leaves out (NaN), with its default settings.

    (With ``zeros_are_disclosive`` off acro shows a suppressed cell as 0, so the default is the one
    whose decisions can be read off the table.)
    """
    frame = microdata(source)
    crosstab = session.crosstab(frame["row"], frame["column"])  # type: ignore[attr-defined]
    return {
        (i, j)
        for i, label in enumerate(source.row_labels)
        for j, column in enumerate(source.column_labels)
        if math.isnan(float(crosstab.loc[label, column]))
    }


def ours_primary(protected: ProtectedTable) -> set[tuple[int, int]]:
    return {
        (i, j)
        for i, row in enumerate(protected.cells)
        for j, count in enumerate(row)
        if count.suppressed is Suppression.PRIMARY
    }


ACRO_TABLES = [
    SMALL_CELLS,
    [[30, 14, 12], [2, 4, 0], [25, 11, 19]],
    [[9, 10, 11], [0, 1, 100], [12, 0, 8]],
    [[50, 60], [70, 80]],
]


@pytest.mark.parametrize("counts", ACRO_TABLES)
def test_primary_suppression_masks_what_acro_masks(acro_session: object, counts: list[list[int]]) -> None:
    """acro (threshold 10) masks every count under 10, zeros included; ours hides the same non-zero
    counts, and of the zeros only those of small lines."""
    source = table(counts)
    ours = ours_primary(protect_table(source))
    small = {(i, j) for i, row in enumerate(counts) for j, n in enumerate(row) if 0 < n < 10}
    zeros = {(i, j) for i, row in enumerate(counts) for j, n in enumerate(row) if n == 0}

    masked = acro_masked(acro_session, source)
    assert masked == small | zeros
    assert masked - zeros == ours - zeros == small
    assert ours <= masked


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.integers(0, 25), min_size=3, max_size=3), min_size=2, max_size=4))
def test_primary_suppression_agrees_with_acro_on_random_tables(acro_session: object, counts: list[list[int]]) -> None:
    # acro fails (KeyError) on a row or column left with no one after its suppression.
    assume(all(max(row) >= 10 for row in counts) and all(max(column) >= 10 for column in zip(*counts, strict=True)))
    source = table(counts)
    zeros = {(i, j) for i, row in enumerate(counts) for j, n in enumerate(row) if n == 0}
    ours = ours_primary(protect_table(source))
    masked = acro_masked(acro_session, source)
    assert masked - zeros == ours - zeros
    assert ours <= masked


def test_rounding_agrees_with_acro() -> None:
    pytest.importorskip("acro")
    import pandas as pd
    from acro.table_utils import round_table

    values = list(range(0, 60))
    rounded = round_table(pd.DataFrame({"n": values}), 5)
    assert [int(v) for v in rounded["n"]] == [round_to_base(v) for v in values]


# Differencing: a later release of the same table.


def test_a_release_that_would_reveal_one_new_refuser_by_subtraction_is_further_suppressed() -> None:
    """Q1–Q2 published, then Q1–Q3 where only one more person from the Urals came: hidden, and protected."""
    first = CountTable.build(DISTRICTS[:3], OUTCOMES, [[40, 22, 15], [31, 12, 20], [25, 18, 33]])
    later = CountTable.build(DISTRICTS[:3], OUTCOMES, [[52, 34, 27], [32, 12, 20], [38, 30, 45]])
    earlier_release = protect_table(first)
    assert all(c.suppressed is None for c in published(earlier_release).values())

    # Published on its own, the later table shows everything, and subtracting gives away the one person.
    alone = protect_table(later)
    assert all(c.suppressed is None for c in published(alone).values())
    risks = differencing_risks(alone, [earlier_release])
    assert {r.place for r in risks} == {Place("cell", 1, 0), Place("row", 1)}
    assert all(r.difference == Interval(1, 1) for r in risks)

    checked = protect_table(later, earlier=[earlier_release])
    numbers = published(checked)
    assert numbers[Place("cell", 1, 0)].suppressed is Suppression.DIFFERENCING
    assert numbers[Place("row", 1)].suppressed is Suppression.DIFFERENCING
    assert differencing_risks(checked, [earlier_release]) == []
    # What a reader can deduce of the change in the Urals (new range minus old exact value) is wide.
    new = checked.intervals()
    for place in (Place("cell", 1, 0), Place("row", 1)):
        old = exact(first, place)
        low, high = new[place].low - old, (new[place].high or 10**9) - old
        assert high - low >= 5
        assert low <= 1 <= high
    # The change in the grand total (1 + 12 + 8 + ... ) is large and stays shown.
    assert numbers[Place("total")].value == round_to_base(later.total)


def test_an_earlier_release_of_another_shape_is_refused() -> None:
    one = protect_table(CountTable.build(("a",), ("x", "y"), [[20, 30]]))
    with pytest.raises(ValueError, match="same rows and columns"):
        protect_table(CountTable.build(("b",), ("x", "y"), [[20, 31]]), earlier=[one])
    with pytest.raises(ValueError, match="threshold"):
        protect_table(CountTable.build(("a",), ("x", "y"), [[20, 31]]), earlier=[one], threshold=5)


def test_release_refused_names_places_never_counts() -> None:
    error = ReleaseRefused([Place("cell", 1, 2)])
    assert error.places == (Place("cell", 1, 2),)
    assert "1 small difference" in str(error)


# Property tests: random small tables, solved by scipy's LP (HiGHS) with the reader's knowledge.


def lp_interval(protected: ProtectedTable, place: Place) -> tuple[int, int | None]:
    """min and max of one number over the reader's polytope, by scipy (independent of the module)."""
    from scipy.optimize import linprog

    numbers = published(protected)
    places = list(numbers)
    index = {p: k for k, p in enumerate(places)}
    ceiling = 10**6
    bounds = []
    for p in places:
        domain = reader_domain(protected, p, ceiling)
        bounds.append((domain.start, None if domain.stop - 1 == ceiling else domain.stop - 1))
    source = protected.source
    rows, columns = len(source.row_labels), len(source.column_labels)
    equations = []
    for i in range(rows):
        equations.append({Place("row", i): -1, **{Place("cell", i, j): 1 for j in range(columns)}})
    for j in range(columns):
        equations.append({Place("column", None, j): -1, **{Place("cell", i, j): 1 for i in range(rows)}})
    equations.append({Place("total"): -1, **{Place("row", i): 1 for i in range(rows)}})
    a_eq = [[0.0] * len(places) for _ in equations]
    for k, equation in enumerate(equations):
        for p, coefficient in equation.items():
            a_eq[k][index[p]] = coefficient
    b_eq = [0.0] * len(equations)
    objective = [0.0] * len(places)
    objective[index[place]] = 1.0
    low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    high = linprog([-c for c in objective], A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert low.status == 0
    top = None if high.status == 3 else round(-high.fun)
    return round(low.fun), top


tables = st.integers(2, 4).flatmap(
    lambda rows: st.integers(2, 4).flatmap(
        lambda columns: st.lists(
            st.lists(st.one_of(st.integers(0, 12), st.integers(10, 60)), min_size=columns, max_size=columns),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=60, deadline=None)
@given(tables)
def test_no_hidden_count_of_a_random_table_is_ever_determined(counts: list[list[int]]) -> None:
    source = table(counts)
    protected = protect_table(source)
    numbers = published(protected)
    intervals = protected.intervals()
    for place, count in numbers.items():
        value = exact(source, place)
        if count.suppressed is None:
            # Shown: 0 or at least the threshold, rounded on its own.
            assert value == 0 or value >= 10
            assert count.value == round_to_base(value)
            continue
        if count.suppressed is Suppression.PRIMARY:
            assert value < 10
        else:
            assert value >= 10, "a '—' must really be 10 or more, as the reader is told"
        # The module's solver and scipy's agree, and neither can pin the number.
        assert (intervals[place].low, intervals[place].high) == lp_interval(protected, place)
        if count.suppressed is Suppression.PRIMARY:
            assert intervals[place].width != 0, f"{place} is recovered"
        # A "—" may be pinned (e.g. at exactly 10): that names no small group, and is counted above.
        high = intervals[place].high
        assert intervals[place].low <= value
        assert high is None or value <= high


@settings(max_examples=40, deadline=None)
@given(tables, st.data())
def test_no_small_change_between_two_random_releases_is_ever_determined(
    counts: list[list[int]], data: st.DataObject
) -> None:
    first = table(counts)
    more = [[n + data.draw(st.sampled_from([0, 0, 0, 1, 2, 15])) for n in row] for row in counts]
    later = table(more)
    earlier_release = protect_table(first)
    try:
        release = protect_table(later, earlier=[earlier_release])
    except ReleaseRefused:
        return  # refusing is allowed; publishing something revealing is not
    assert differencing_risks(release, [earlier_release]) == []
    old, new = earlier_release.intervals(), release.intervals()
    for place in new:
        change = exact(later, place) - exact(first, place)
        if 0 < abs(change) < 10:
            assert new[place].width != 0 or old[place].width != 0, f"{place}: change of {change} recovered"
