"""What a report shows: tables after disclosure control, ready for a page, a chart or an export.

Nothing here holds an exact count. A ``ShownTable`` is made only from a protected series
(``from_series``), so a template, a chart or a file can show nothing but published numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from defensor.reports.disclosure import ProtectedSeries, PublishedCount, Suppression


@dataclass(frozen=True)
class ShownEntry:
    """One published number: ``value`` (rounded) or None with why it is hidden."""

    key: str  # the stable value the line stands for ("2025-Q3", "volga", "mobilised")
    label: str  # what a reader sees, in the reader's language
    value: int | None
    suppressed: Suppression | None = None

    @property
    def text(self) -> str:
        """The number as printed: "35", "< 10" (too few to show) or "—" (hidden so the others
        cannot give it away)."""
        return shown_text(self.value, self.suppressed, threshold=10)


@dataclass(frozen=True)
class ShownTable:
    key: str  # "quarter", "district", ...
    title: str
    entries: tuple[ShownEntry, ...]
    total: ShownEntry
    threshold: int = 10
    base: int = 5
    # What the numbers count, when it is not simply "persons" (e.g. "persons who withdrew").
    counts: str = ""

    def text_of(self, entry: ShownEntry) -> str:
        return shown_text(entry.value, entry.suppressed, threshold=self.threshold)


def shown_text(value: int | None, suppressed: Suppression | None, *, threshold: int) -> str:
    if suppressed is Suppression.PRIMARY:
        return f"< {threshold}"
    if suppressed is not None or value is None:
        return "—"
    return str(value)


def _entry(key: str, label: str, count: PublishedCount) -> ShownEntry:
    return ShownEntry(key=key, label=label, value=count.value, suppressed=count.suppressed)


def from_series(
    *, key: str, title: str, labels: Sequence[str], protected: ProtectedSeries, counts: str = ""
) -> ShownTable:
    """A protected series as shown; ``labels`` are the readers' texts of ``protected``'s keys."""
    keys = protected.source.labels
    if len(labels) != len(keys):
        raise ValueError("one shown label per entry of the series")
    return ShownTable(
        key=key,
        title=title,
        entries=tuple(_entry(k, label, count) for k, label, count in zip(keys, labels, protected.cells, strict=True)),
        total=_entry("total", _("Total"), protected.total),
        threshold=protected.threshold,
        base=protected.base,
        counts=counts,
    )
