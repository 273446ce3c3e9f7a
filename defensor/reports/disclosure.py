"""Disclosure control: counts of persons published so that no one in a small group can be named.

Every table, chart and export of a report goes through :func:`protect_table` (rows × columns, e.g.
quarter × federal district) or :func:`protect_series` (one breakdown, e.g. by outcome). What comes
out is, for each cell and each total, either a number rounded to a base or a suppression marker with
its reason, so a page can show "< 10" or "—" and say why.

The table must count each person once: every person in exactly one cell, the totals being the sums
(this module computes them). A reader is assumed to know the rules below, every number shown and
every marker, and to solve for what is hidden.

What a reader sees, and why
===========================

Primary suppression
    A count with ``0 < n < threshold`` (default 10) is hidden and marked ``PRIMARY`` ("< 10"). Totals
    are counts of persons too: a row total of 4 is hidden the same way.

Zeros
    A zero is shown as 0, except in a *small line*: a row or column whose total is itself hidden as
    primary (``0 < total < threshold``). There a zero would say "all the few people of this group are
    elsewhere" (e.g. "the 3 refusers from one district were all convicted"), so it is hidden and marked
    ``PRIMARY`` exactly like the small counts beside it: a reader cannot tell the zero from them. A
    line whose total is 0 is shown as zeros (it names nobody), and so are structural zeros, cells the
    caller declares impossible by definition. A zero shown elsewhere is a published value like any
    other: the check below counts it, so a zero next to a hidden cell in a row whose total is shown
    can never be what gives the hidden cell away.

Complementary suppression
    Hidden cells must not be recoverable from the totals and the other numbers. The check solves for
    each hidden count the way a reader would: the smallest and the largest value it can take given
    every shown number *exactly* (before rounding, so rounding never has to carry the protection),
    the sums, and what the markers say (a "< 10" count lies in 1…9, or 0…9 in a small line where
    zeros hide; a "—" count is at least 10, since every non-zero count under 10 is marked "< 10" and
    zeros are never marked "—"). The table's sums form a circulation in a network (source → row →
    column → sink → source), so these bounds are integral and are found exactly by max-flow on the
    residual network (no LP library). A hidden count is protected when its range is at least
    ``protection`` wide (default 5: a reader who learns "3…8" has not learnt how many), or, where
    even hiding every non-zero number would leave it narrower, as wide as that.
    Until every hidden count is protected, the cheapest cycle of further cells through an exposed one
    is hidden as ``COMPLEMENTARY`` ("—"): cells first, smallest first (a cycle of cells changes no
    total, so the totals that show the scale stay), row and column totals only where no cycle of
    cells exists, the grand total last. If a cycle does not widen the range, the smallest remaining
    number is hidden; hiding everything non-zero always satisfies the rule, so this ends.

Rounding
    Suppression is decided on the exact counts; then each shown number, cells and totals alike, is
    rounded on its own to the nearest multiple of ``base`` (default 5; halves up). Shown cells need
    not add up to shown totals. Zeros stay 0 and a shown count (at least 10) stays at least 10.

Differencing between releases
    A release that repeats an earlier one for a longer period (or after corrections) gives a reader
    two tables to subtract. For every cell and total whose difference ``new − old`` is
    ``0 < |d| < threshold`` (a few people came or went), the range a reader can deduce for the
    difference, the new release's range minus the earlier's, must be at least ``protection`` wide (or
    as wide as hiding everything would make it). Where it is not, the new number is hidden as
    ``DIFFERENCING`` ("—") and complementary suppression continues until it is protected. A small
    difference that only a shown zero could hide (a count that fell to 0) cannot be fixed by hiding
    more: the release is refused (:class:`ReleaseRefused`) with the places named.

What is guaranteed, and what is not
-----------------------------------
Guaranteed: within one table, and between this release and each earlier release of the same table
checked here, no hidden count and no small difference can be narrowed below the protection width by
linear reasoning from the shown numbers, the totals and the markers, even by a reader who knew the
shown numbers before rounding. Earlier releases are checked with their exact counts
(:attr:`ProtectedTable.source`), which the release keeping them must therefore keep, sealed.

Not guaranteed: combinations of three or more releases at once; other tables of the same persons
(a different breakdown sharing a total: check such linked tables together, e.g. as one larger
table); knowledge from outside (a reader who knows five of the six refusers of a district); and
inference from the rule itself (a reader re-running these heuristics on guessed tables). Keep cells
coarse (federal district, quarter) so few are small in the first place.

This module imports nothing from Django, so it works without settings.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NamedTuple

THRESHOLD = 10
"""Counts of persons below this (and above 0) are never shown."""

ROUNDING_BASE = 5
"""Shown numbers are rounded to a multiple of this."""

PROTECTION = 5
"""How wide the range a reader can deduce for a hidden count must be."""

_UNBOUNDED = 1 << 60
# Suppression costs: a cycle of cells changes no total, so totals (the scale) are hidden last.
_LINE_TOTAL_COST = 10**9
_GRAND_TOTAL_COST = 10**12


class Suppression(StrEnum):
    """Why a number is not shown. PRIMARY reads "< threshold"; the others read "—"."""

    PRIMARY = "primary"
    COMPLEMENTARY = "complementary"
    DIFFERENCING = "differencing"


class Place(NamedTuple):
    """Where a number sits: a cell, a row's or a column's total, or the grand total."""

    kind: Literal["cell", "row", "column", "total"]
    row: int | None = None
    column: int | None = None


class Interval(NamedTuple):
    """The values a reader can deduce a number to lie in; ``high`` is None when unbounded."""

    low: int
    high: int | None

    @property
    def width(self) -> int | None:
        """``high − low``, or None when the reader has no upper bound."""
        return None if self.high is None else self.high - self.low


@dataclass(frozen=True)
class PublishedCount:
    """One number as published: the rounded count, or no value and the reason it is hidden."""

    value: int | None
    suppressed: Suppression | None = None
    structural: bool = False


class ReleaseRefused(Exception):
    """The release would reveal a small change against an earlier one and cannot be fixed by hiding.

    ``places`` names where (positions only, never counts, so the error may be logged).
    """

    def __init__(self, places: Sequence[Place]) -> None:
        self.places = tuple(places)
        super().__init__(f"release refused: {len(self.places)} small difference(s) only a zero could hide")


def round_to_base(count: int, base: int = ROUNDING_BASE) -> int:
    """``count`` rounded to the nearest multiple of ``base`` (halves up; base 1 leaves it)."""
    if base < 1:
        raise ValueError("base must be at least 1")
    return (count + base // 2) // base * base


def _check_counts(counts: Iterable[int]) -> None:
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError("counts must be non-negative integers")


def _check_labels(labels: Sequence[str], what: str) -> None:
    if len(set(labels)) != len(labels):
        raise ValueError(f"{what} labels must be distinct")


@dataclass(frozen=True)
class CountTable:
    """Counts of unique persons by row × column (e.g. quarter × federal district), exact.

    ``structural_zeros`` are (row, column) cells that are empty by definition (an impossible
    combination); they are always shown as 0.
    """

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    structural_zeros: frozenset[tuple[int, int]] = frozenset()

    def __post_init__(self) -> None:
        _check_labels(self.row_labels, "row")
        _check_labels(self.column_labels, "column")
        if not self.row_labels or not self.column_labels:
            raise ValueError("a table needs at least one row and one column")
        if len(self.counts) != len(self.row_labels) or any(len(r) != len(self.column_labels) for r in self.counts):
            raise ValueError("counts must have one row per row label and one value per column label")
        for row in self.counts:
            _check_counts(row)
        for i, j in self.structural_zeros:
            if not (0 <= i < len(self.row_labels) and 0 <= j < len(self.column_labels)) or self.counts[i][j]:
                raise ValueError("a structural zero must be a cell of the table holding 0")

    @classmethod
    def build(
        cls,
        row_labels: Sequence[str],
        column_labels: Sequence[str],
        counts: Sequence[Sequence[int]],
        structural_zeros: Iterable[tuple[int, int]] = (),
    ) -> CountTable:
        """A table from plain sequences."""
        return cls(
            tuple(row_labels), tuple(column_labels), tuple(tuple(r) for r in counts), frozenset(structural_zeros)
        )

    @classmethod
    def tally(
        cls, row_labels: Sequence[str], column_labels: Sequence[str], records: Iterable[tuple[str, str]]
    ) -> CountTable:
        """A table counting ``records``, one (row label, column label) pair per person."""
        rows = {label: i for i, label in enumerate(row_labels)}
        columns = {label: j for j, label in enumerate(column_labels)}
        counts = [[0] * len(columns) for _ in rows]
        for row, column in records:
            counts[rows[row]][columns[column]] += 1
        return cls.build(row_labels, column_labels, counts)

    @property
    def row_totals(self) -> tuple[int, ...]:
        return tuple(sum(row) for row in self.counts)

    @property
    def column_totals(self) -> tuple[int, ...]:
        return tuple(sum(column) for column in zip(*self.counts, strict=True))

    @property
    def total(self) -> int:
        return sum(self.row_totals)


@dataclass(frozen=True)
class CountSeries:
    """Counts of unique persons by one breakdown (e.g. by outcome), exact, with their total."""

    labels: tuple[str, ...]
    counts: tuple[int, ...]
    structural_zeros: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        _check_labels(self.labels, "series")
        if not self.labels or len(self.counts) != len(self.labels):
            raise ValueError("a series needs one count per label, and at least one")
        _check_counts(self.counts)
        if any(not 0 <= j < len(self.counts) or self.counts[j] for j in self.structural_zeros):
            raise ValueError("a structural zero must be an entry of the series holding 0")

    @property
    def total(self) -> int:
        return sum(self.counts)


# The network a table's sums make. Every number (cell or total) is an arc carrying its count;
# "row total = sum of its cells" etc. are flow conservation at the nodes.


@dataclass(frozen=True)
class _Arc:
    place: Place
    tail: int
    head: int
    value: int
    cost: int
    lines: tuple[int, ...] = ()  # the totals (arc indexes) of the lines the cell lies in
    structural: bool = False


@dataclass(frozen=True)
class _Network:
    nodes: int
    arcs: tuple[_Arc, ...]


def _table_network(table: CountTable) -> _Network:
    rows, columns = len(table.row_labels), len(table.column_labels)
    source, sink = 0, rows + columns + 1
    cells = rows * columns
    arcs: list[_Arc] = []
    for i in range(rows):
        for j in range(columns):
            value = table.counts[i][j]
            arcs.append(
                _Arc(
                    Place("cell", i, j),
                    1 + i,
                    1 + rows + j,
                    value,
                    value,
                    lines=(cells + i, cells + rows + j),
                    structural=(i, j) in table.structural_zeros,
                )
            )
    for i, value in enumerate(table.row_totals):
        arcs.append(_Arc(Place("row", i), source, 1 + i, value, _LINE_TOTAL_COST + value))
    for j, value in enumerate(table.column_totals):
        arcs.append(_Arc(Place("column", None, j), 1 + rows + j, sink, value, _LINE_TOTAL_COST + value))
    arcs.append(_Arc(Place("total"), sink, source, table.total, _GRAND_TOTAL_COST + table.total))
    return _Network(rows + columns + 2, tuple(arcs))


def _series_network(series: CountSeries) -> _Network:
    total_arc = len(series.counts)
    arcs = [
        _Arc(Place("cell", 0, j), 0, 1, value, value, lines=(total_arc,), structural=j in series.structural_zeros)
        for j, value in enumerate(series.counts)
    ]
    arcs.append(_Arc(Place("total"), 1, 0, series.total, _GRAND_TOTAL_COST + series.total))
    return _Network(2, tuple(arcs))


_Status = Suppression | None


def _primary(network: _Network, threshold: int) -> list[_Status]:
    arcs = network.arcs
    statuses: list[_Status] = [Suppression.PRIMARY if 0 < arc.value < threshold else None for arc in arcs]
    for a, arc in enumerate(arcs):
        if arc.value == 0 and arc.lines and not arc.structural:
            totals = [arcs[line].value for line in arc.lines]
            if any(0 < t < threshold for t in totals) and all(totals):
                statuses[a] = Suppression.PRIMARY
    return statuses


def _bounds(network: _Network, statuses: Sequence[_Status], threshold: int) -> list[tuple[int, int]]:
    """What a reader knows of each number: exact if shown, else what its marker says."""
    bounds: list[tuple[int, int]] = []
    for arc, status in zip(network.arcs, statuses, strict=True):
        if status is None:
            bounds.append((arc.value, arc.value))
        elif status is Suppression.PRIMARY:
            # Zeros hide among "< threshold" only in a line whose total is itself "< threshold".
            zeros_hide_here = any(statuses[line] is Suppression.PRIMARY for line in arc.lines)
            bounds.append((0 if zeros_hide_here else 1, threshold - 1))
        else:
            bounds.append((threshold, _UNBOUNDED))
    return bounds


def _max_flow(capacity: list[list[int]], source: int, sink: int, limit: int) -> int:
    """Edmonds–Karp, stopping once ``limit`` is reached; ``capacity`` is used up in place."""
    nodes = len(capacity)
    flow = 0
    while flow < limit:
        parent = [-1] * nodes
        parent[source] = source
        queue = deque([source])
        while queue and parent[sink] < 0:
            u = queue.popleft()
            for v in range(nodes):
                if parent[v] < 0 and capacity[u][v] > 0:
                    parent[v] = u
                    queue.append(v)
        if parent[sink] < 0:
            break
        push, v = limit - flow, sink
        while v != source:
            push = min(push, capacity[parent[v]][v])
            v = parent[v]
        v = sink
        while v != source:
            u = parent[v]
            capacity[u][v] -= push
            capacity[v][u] += push
            v = u
        flow += push
    return flow


def _interval(network: _Network, bounds: Sequence[tuple[int, int]], a: int) -> Interval:
    """The exact range of arc ``a`` over every table a reader cannot rule out.

    Starting from the true table (always possible), arc ``a`` can rise by as much flow as the
    residual network without ``a`` carries from its head back to its tail, and fall likewise.
    """
    capacity = [[0] * network.nodes for _ in range(network.nodes)]
    for b, arc in enumerate(network.arcs):
        if b != a:
            low, high = bounds[b]
            capacity[arc.tail][arc.head] += high - arc.value
            capacity[arc.head][arc.tail] += arc.value - low
    arc = network.arcs[a]
    low, high = bounds[a]
    up = _max_flow([list(r) for r in capacity], arc.head, arc.tail, high - arc.value)
    down = _max_flow(capacity, arc.tail, arc.head, arc.value - low)
    top = arc.value + up
    return Interval(arc.value - down, None if top >= _UNBOUNDED // 2 else top)


def _width(interval: Interval) -> int:
    return _UNBOUNDED if interval.width is None else interval.width


def _hide_everything(network: _Network, statuses: Sequence[_Status]) -> list[_Status]:
    return [
        status if status is not None or arc.value == 0 else Suppression.COMPLEMENTARY
        for arc, status in zip(network.arcs, statuses, strict=True)
    ]


@dataclass(frozen=True)
class _Target:
    arc: int
    required: int  # width the reader's range must reach
    extra: int = 0  # width already contributed by an earlier release (differencing)


def _cheapest_cycle(network: _Network, statuses: Sequence[_Status], a: int) -> list[int]:
    """Arcs of the cheapest cycle through arc ``a`` (hidden arcs cost nothing), or [] if none."""
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(network.nodes)]
    for b, arc in enumerate(network.arcs):
        if b == a or (statuses[b] is None and (arc.value == 0 or arc.structural)):
            continue
        adjacency[arc.tail].append((arc.head, b))
        adjacency[arc.head].append((arc.tail, b))
    start, goal = network.arcs[a].head, network.arcs[a].tail
    best = {start: 0}
    came: dict[int, tuple[int, int]] = {}
    heap = [(0, start)]
    while heap:
        cost, node = heapq.heappop(heap)
        if node == goal:
            path = []
            while node != start:
                node, b = came[node]
                path.append(b)
            return path
        if cost > best[node]:
            continue
        for other, b in adjacency[node]:
            step = cost + (0 if statuses[b] is not None else network.arcs[b].cost)
            if step < best.get(other, _UNBOUNDED):
                best[other] = step
                came[other] = (node, b)
                heapq.heappush(heap, (step, other))
    return []


def _complete(network: _Network, statuses: list[_Status], targets: Sequence[_Target], threshold: int) -> None:
    """Hide more (COMPLEMENTARY) until every target's range is wide enough."""
    while True:
        bounds = _bounds(network, statuses, threshold)
        exposed = next(
            (t for t in targets if _width(_interval(network, bounds, t.arc)) + t.extra < t.required),
            None,
        )
        if exposed is None:
            return
        fresh = [b for b in _cheapest_cycle(network, statuses, exposed.arc) if statuses[b] is None]
        if not fresh:
            # The cycle is hidden already and still too tight: hide the next cheapest number.
            candidates = [
                b for b, arc in enumerate(network.arcs) if statuses[b] is None and arc.value > 0 and not arc.structural
            ]
            if not candidates:
                raise RuntimeError("disclosure: nothing left to hide, yet a count is exposed")
            fresh = [min(candidates, key=lambda b: (network.arcs[b].cost, b))]
        for b in fresh:
            statuses[b] = Suppression.COMPLEMENTARY


def _widths(network: _Network, statuses: Sequence[_Status], threshold: int) -> list[int]:
    bounds = _bounds(network, statuses, threshold)
    return [_width(_interval(network, bounds, a)) for a in range(len(network.arcs))]


def _differencing(
    network: _Network,
    statuses: list[_Status],
    baseline: Sequence[int],
    earlier: Sequence[tuple[_Network, Sequence[_Status]]],
    threshold: int,
    protection: int,
) -> list[_Target]:
    """Targets for small differences against each earlier release; hides what must be hidden."""
    targets: list[_Target] = []
    refused: list[Place] = []
    for old_network, old_statuses in earlier:
        old_widths = _widths(old_network, old_statuses, threshold)
        for a, (arc, old) in enumerate(zip(network.arcs, old_network.arcs, strict=True)):
            if not 0 < abs(arc.value - old.value) < threshold:
                continue
            required = min(protection, baseline[a] + old_widths[a])
            if old_widths[a] >= required:
                continue
            targets.append(_Target(a, required, extra=old_widths[a]))
            if statuses[a] is None:
                if arc.value == 0 or arc.structural:
                    refused.append(arc.place)
                else:
                    statuses[a] = Suppression.DIFFERENCING
    if refused:
        raise ReleaseRefused(refused)
    return targets


def _protect(
    network: _Network,
    earlier: Sequence[tuple[_Network, Sequence[_Status]]],
    threshold: int,
    protection: int,
) -> list[_Status]:
    if threshold < 1 or protection < 0:
        raise ValueError("threshold must be at least 1 and protection not negative")
    statuses = _primary(network, threshold)
    baseline = _widths(network, _hide_everything(network, statuses), threshold)
    targets = [_Target(a, min(protection, baseline[a])) for a, status in enumerate(statuses) if status is not None]
    targets += _differencing(network, statuses, baseline, earlier, threshold, protection)
    _complete(network, statuses, targets, threshold)
    return statuses


def _published(network: _Network, statuses: Sequence[_Status], base: int) -> list[PublishedCount]:
    return [
        PublishedCount(None if status else round_to_base(arc.value, base), status, arc.structural)
        for arc, status in zip(network.arcs, statuses, strict=True)
    ]


def _statuses_of(published: Iterable[PublishedCount]) -> list[_Status]:
    return [count.suppressed for count in published]


@dataclass(frozen=True)
class ProtectedTable:
    """A table as it may be published: every cell and total shown rounded, or hidden with a reason.

    ``source`` keeps the exact counts: never render them; keep them (sealed) with the release so
    the next release can be checked against this one.
    """

    source: CountTable = field(repr=False)
    cells: tuple[tuple[PublishedCount, ...], ...]
    row_totals: tuple[PublishedCount, ...]
    column_totals: tuple[PublishedCount, ...]
    total: PublishedCount
    threshold: int
    base: int
    protection: int

    def _flat(self) -> list[PublishedCount]:
        return [c for row in self.cells for c in row] + [*self.row_totals, *self.column_totals, self.total]

    def intervals(self) -> dict[Place, Interval]:
        """For every number, the range a reader can deduce (shown numbers: their exact value)."""
        network = _table_network(self.source)
        bounds = _bounds(network, _statuses_of(self._flat()), self.threshold)
        return {arc.place: _interval(network, bounds, a) for a, arc in enumerate(network.arcs)}


@dataclass(frozen=True)
class ProtectedSeries:
    """A series as it may be published (see :class:`ProtectedTable`)."""

    source: CountSeries = field(repr=False)
    cells: tuple[PublishedCount, ...]
    total: PublishedCount
    threshold: int
    base: int
    protection: int

    def intervals(self) -> dict[Place, Interval]:
        """For every entry and the total, the range a reader can deduce."""
        network = _series_network(self.source)
        bounds = _bounds(network, _statuses_of([*self.cells, self.total]), self.threshold)
        return {arc.place: _interval(network, bounds, a) for a, arc in enumerate(network.arcs)}


def protect_table(
    table: CountTable,
    *,
    earlier: Sequence[ProtectedTable] = (),
    threshold: int = THRESHOLD,
    base: int = ROUNDING_BASE,
    protection: int = PROTECTION,
) -> ProtectedTable:
    """``table`` as it may be published, checked against ``earlier`` releases of the same table.

    Raises :class:`ReleaseRefused` when a small change against an earlier release cannot be hidden,
    and ValueError when an earlier release has other rows, columns or threshold.
    """
    for old in earlier:
        if (old.source.row_labels, old.source.column_labels) != (table.row_labels, table.column_labels):
            raise ValueError("an earlier release must have the same rows and columns")
        if old.threshold != threshold:
            raise ValueError("an earlier release must have the same threshold")
    network = _table_network(table)
    previous = [(_table_network(old.source), _statuses_of(old._flat())) for old in earlier]
    published = _published(network, _protect(network, previous, threshold, protection), base)
    rows, columns = len(table.row_labels), len(table.column_labels)
    cells = rows * columns
    return ProtectedTable(
        source=table,
        cells=tuple(tuple(published[i * columns : (i + 1) * columns]) for i in range(rows)),
        row_totals=tuple(published[cells : cells + rows]),
        column_totals=tuple(published[cells + rows : cells + rows + columns]),
        total=published[-1],
        threshold=threshold,
        base=base,
        protection=protection,
    )


def protect_series(
    series: CountSeries,
    *,
    earlier: Sequence[ProtectedSeries] = (),
    threshold: int = THRESHOLD,
    base: int = ROUNDING_BASE,
    protection: int = PROTECTION,
) -> ProtectedSeries:
    """``series`` as it may be published, checked against ``earlier`` releases (as protect_table)."""
    for old in earlier:
        if old.source.labels != series.labels or old.threshold != threshold:
            raise ValueError("an earlier release must have the same labels and threshold")
    network = _series_network(series)
    previous = [(_series_network(old.source), _statuses_of([*old.cells, old.total])) for old in earlier]
    published = _published(network, _protect(network, previous, threshold, protection), base)
    return ProtectedSeries(
        source=series,
        cells=tuple(published[:-1]),
        total=published[-1],
        threshold=threshold,
        base=base,
        protection=protection,
    )


class DifferencingRisk(NamedTuple):
    """A small change between two releases that a reader can narrow below the protection width."""

    place: Place
    earlier: int  # index into the earlier releases given
    difference: Interval  # what a reader can deduce of new − old


def differencing_risks(release: ProtectedTable, earlier: Sequence[ProtectedTable]) -> list[DifferencingRisk]:
    """Where subtracting an earlier release from ``release`` would reveal a small change.

    An empty list means the releases may stand side by side; :func:`protect_table` given the
    earlier releases makes sure of it. Shown numbers count as known exactly, as in the check itself.
    """
    network = _table_network(release.source)
    threshold = release.threshold
    baseline = _widths(network, _hide_everything(network, _primary(network, threshold)), threshold)
    new = release.intervals()
    risks: list[DifferencingRisk] = []
    for index, old_release in enumerate(earlier):
        old = old_release.intervals()
        old_arcs = _table_network(old_release.source).arcs
        for a, (arc, old_arc) in enumerate(zip(network.arcs, old_arcs, strict=True)):
            if not 0 < abs(arc.value - old_arc.value) < threshold:
                continue
            n, o = new[arc.place], old[arc.place]
            if n.high is None or o.high is None:
                continue  # a reader has no upper bound on one of them: the change is not narrowed
            if n.high - n.low + o.high - o.low < min(release.protection, baseline[a] + _width(o)):
                risks.append(DifferencingRisk(arc.place, index, Interval(n.low - o.high, n.high - o.low)))
    return risks
