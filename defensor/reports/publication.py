"""From exact counts to what may be published, and back from a stored release to what is shown.

Every table goes through disclosure.protect_series, checked against every earlier release of the
same table (same lines): the page shows exactly what a release made now would publish. A table
that cannot be published for the chosen period without revealing a small change against an
earlier release (disclosure.ReleaseRefused) is shown with every number hidden, and no release is
made until the period is changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from defensor.reports.disclosure import (
    PROTECTION,
    CountSeries,
    ProtectedSeries,
    PublishedCount,
    ReleaseRefused,
    Suppression,
    protect_series,
)
from defensor.reports.shown import ShownEntry, ShownTable
from defensor.reports.tables import (
    NAMED,
    PRESSURE_KINDS,
    PRESSURE_TITLE,
    SPECS,
    TABLE_KEYS,
    Quarter,
    pressure_label,
)

Published = dict[str, Any]  # JSON: {"threshold", "base", "tables": {key: {"labels", "published", "total"}}}


def protect_all(
    series: Mapping[str, CountSeries], earlier: Sequence[Mapping[str, ProtectedSeries]], *, threshold: int, base: int
) -> tuple[dict[str, ProtectedSeries], list[str]]:
    """Each series protected against the earlier releases' series with the same lines; and the keys
    of those that cannot be published at all (every number hidden instead)."""
    protected: dict[str, ProtectedSeries] = {}
    refused: list[str] = []
    for key, counts in series.items():
        before = [old[key] for old in earlier if key in old and old[key].source.labels == counts.labels]
        others = [old[key] for old in earlier if key in old and old[key].source.labels != counts.labels]
        try:
            if key == "quarter" and others:
                protected[key] = _protect_quarters(counts, [*before, *others], threshold=threshold, base=base)
            else:
                protected[key] = protect_series(counts, earlier=before, threshold=threshold, base=base)
        except ReleaseRefused:
            refused.append(key)
            hidden = PublishedCount(None, Suppression.DIFFERENCING)
            protected[key] = ProtectedSeries(
                source=counts, cells=tuple(hidden for _ in counts.labels), total=hidden,
                threshold=threshold, base=base, protection=PROTECTION,
            )
    return protected, refused


def _quarter_order(label: str) -> tuple[int, int]:
    quarter = Quarter.parse(label)
    return (quarter.year, quarter.number) if quarter else (0, 0)


def _padded(counts: CountSeries, labels: Sequence[str]) -> CountSeries:
    """``counts`` over ``labels``: the quarters outside its period are zeros by definition."""
    own = dict(zip(counts.labels, counts.counts, strict=True))
    return CountSeries(
        labels=tuple(labels), counts=tuple(own.get(label, 0) for label in labels),
        structural_zeros=frozenset(j for j, label in enumerate(labels) if label not in own),
    )


def _padded_release(old: ProtectedSeries, labels: Sequence[str]) -> ProtectedSeries:
    shown = dict(zip(old.source.labels, old.cells, strict=True))
    zero = PublishedCount(0, None, structural=True)
    return ProtectedSeries(
        source=_padded(old.source, labels), cells=tuple(shown.get(label, zero) for label in labels),
        total=old.total, threshold=old.threshold, base=old.base, protection=old.protection,
    )


def _protect_quarters(
    counts: CountSeries, earlier: Sequence[ProtectedSeries], *, threshold: int, base: int
) -> ProtectedSeries:
    """The quarter table of a release whose period differs from earlier ones'. A quarter outside a
    release's period is known to hold nobody in it, so both are compared over every quarter either
    covers (the total of a longer period less the shorter one's is the new quarters' count: it is
    checked like any other difference); the quarters outside this period are then left out again."""
    labels = sorted({*counts.labels, *(label for old in earlier for label in old.source.labels)}, key=_quarter_order)
    checked = protect_series(
        _padded(counts, labels), earlier=[_padded_release(old, labels) for old in earlier],
        threshold=threshold, base=base,
    )
    mine = [j for j, label in enumerate(labels) if label in set(counts.labels)]
    return ProtectedSeries(
        source=counts, cells=tuple(checked.cells[j] for j in mine), total=checked.total,
        threshold=threshold, base=base, protection=checked.protection,
    )


def _pair(count: PublishedCount) -> list[Any]:
    return [count.value, count.suppressed.value if count.suppressed else None]


def _count(pair: Sequence[Any]) -> PublishedCount:
    value, why = pair
    return PublishedCount(value, Suppression(why) if why else None)


def published_json(protected: Mapping[str, ProtectedSeries], *, threshold: int, base: int) -> Published:
    """What a release publishes: lines and published numbers, no exact count."""
    return {
        "threshold": threshold,
        "base": base,
        "tables": {
            key: {
                "labels": list(series.source.labels),
                "published": [_pair(cell) for cell in series.cells],
                "total": _pair(series.total),
            }
            for key, series in protected.items()
        },
    }


def sealed_json(protected: Mapping[str, ProtectedSeries], *, threshold: int, base: int) -> Published:
    """What a release keeps sealed: the publication and the exact counts it was made from."""
    payload = published_json(protected, threshold=threshold, base=base)
    for key, series in protected.items():
        payload["tables"][key]["counts"] = list(series.source.counts)
    return payload


def earlier_from(payload: Published) -> dict[str, ProtectedSeries]:
    """A stored release's tables as disclosure.protect_series takes them (``earlier=``)."""
    threshold, base = int(payload["threshold"]), int(payload["base"])
    return {
        key: ProtectedSeries(
            source=CountSeries(labels=tuple(table["labels"]), counts=tuple(int(c) for c in table["counts"])),
            cells=tuple(_count(pair) for pair in table["published"]),
            total=_count(table["total"]),
            threshold=threshold, base=base, protection=PROTECTION,
        )
        for key, table in payload["tables"].items()
    }


def _entry(key: str, label: str, pair: Sequence[Any]) -> ShownEntry:
    count = _count(pair)
    return ShownEntry(key=key, label=label, value=count.value, suppressed=count.suppressed)


def shown_tables(payload: Published) -> tuple[list[ShownTable], ShownTable]:
    """The tables of a publication as a reader sees them, in the reader's language; and the
    kinds of pressure as one table (each line from its own small table)."""
    threshold, base = int(payload["threshold"]), int(payload["base"])
    tables = payload["tables"]
    shown: list[ShownTable] = []
    for key in TABLE_KEYS:
        if key not in tables:
            continue
        spec, table = SPECS[key], tables[key]
        shown.append(ShownTable(
            key=key, title=str(spec.title), counts=str(spec.counts), threshold=threshold, base=base,
            entries=tuple(
                _entry(line, spec.label(line), pair)
                for line, pair in zip(table["labels"], table["published"], strict=True)
            ),
            total=_entry("total", _("Total"), table["total"]),
        ))
    pressure_entries = []
    for kind in PRESSURE_KINDS:
        table = tables.get(f"pressure:{kind}")
        if table is None:
            continue
        pressure_entries.append(_entry(kind, pressure_label(kind), table["published"][table["labels"].index(NAMED)]))
    everyone = tables.get("district", {}).get("total", [None, Suppression.PRIMARY.value])
    pressure = ShownTable(
        key="pressure", title=str(PRESSURE_TITLE), counts=_("persons"), threshold=threshold, base=base,
        entries=tuple(pressure_entries), total=_entry("total", _("All persons counted"), everyone),
    )
    return shown, pressure
