"""Charts of a report as server-rendered SVG: no JavaScript, no external resources, only published numbers.

A chart is drawn from a ``ShownTable``, so it can show nothing the table does not: a hidden count is
a placeholder of one fixed size with its marker ("< 10" or "—"), never a bar or a shade that hints
at a value. Every text goes through ``format_html`` (escaped). Colours and fonts are presentation
attributes, not ``style``, so the page's Content-Security-Policy needs no exception.

The map is schematic on purpose: the outlines are drawn by hand, roughly where each federal district
lies, so the file stays small, carries no third-party map data, and gives even the smallest district
room for its name and number. It is a picture of the table, not a geography.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from defensor.reports import districts
from defensor.reports.shown import ShownEntry, ShownTable

FONT = 13  # in viewBox units; the drawing scales with the page, text with it
INK = "#333333"
BAR = "#1d4f91"
GRID = "#d0d0d0"
HIDDEN_INK = "#595959"
# Light to dark blue, each with the text colour that reads on it (WCAG AA, 4.5:1 or more).
PALETTE = (("#eff3ff", "#1a1a1a"), ("#c6dbef", "#1a1a1a"), ("#6baed6", "#1a1a1a"),
           ("#2166ac", "#ffffff"), ("#08306b", "#ffffff"))

_ids = itertools.count(1)  # ids must differ between two charts on one page


def _uid(table: ShownTable) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", table.key.lower()).strip("-") or "table"
    return f"chart-{slug}-{next(_ids)}"


def _n(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def _join(parts: Iterable[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _text_width(text: str, size: int = FONT) -> float:
    return len(text) * size * 0.66


def _is_shown(entry: ShownEntry) -> bool:
    return entry.value is not None and entry.suppressed is None


def _halo(colour: str) -> SafeString:
    """Text drawn over a line or a border keeps its contrast."""
    return format_html(' stroke="{}" stroke-width="3" stroke-linejoin="round" paint-order="stroke"', colour)


def _svg(uid: str, kind: str, width: float, height: float, title: str, desc: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img"'
        ' aria-labelledby="{}-title" aria-describedby="{}-desc" class="chart {}"'
        ' font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, sans-serif" font-size="{}" fill="{}">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        _n(width), _n(height), uid, uid, kind, FONT, INK, uid, title, uid, desc, body,
    )


def _notes(table: ShownTable, entries: Sequence[ShownEntry]) -> str:
    notes = []
    if any(not _is_shown(entry) for entry in entries):
        notes.append(_("Hidden counts are marked “< %(threshold)d” (too few to show) or “—” (hidden so that "
                       "the other numbers cannot give them away).") % {"threshold": table.threshold})
    notes.append(_("Numbers are rounded to the nearest %(base)d.") % {"base": table.base})
    return " ".join(notes)


def _axis(largest: int, threshold: int) -> tuple[int, int]:
    """The top of the y axis and the step between gridlines: round numbers, three to five lines."""
    largest = largest or max(threshold, 1)  # nothing to scale by: an empty axis up to the threshold
    rough = largest / 4
    magnitude = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = min(s for s in (magnitude, 2 * magnitude, 5 * magnitude // 2, 5 * magnitude, 10 * magnitude) if s >= rough)
    return math.ceil(largest / step) * step, step


def bar_chart(table: ShownTable, *, width: int = 640) -> SafeString:
    """One vertical bar per entry in order (the total is not drawn); hidden entries as placeholders."""
    uid, entries = _uid(table), table.entries
    right, top_pad, plot = 8, 24, 220
    top, step = _axis(max((e.value or 0 for e in entries if _is_shown(e)), default=0), table.threshold)
    longest = max((_text_width(e.label) for e in entries), default=0)
    flat = longest + FONT <= (width - 56) / max(len(entries), 1)  # labels fit side by side
    left = 48 if flat else max(48, round(longest * 0.71) - 8)  # else slanted: room for the first one
    slot = (width - left - right) / max(len(entries), 1)
    bar_width = min(slot * 0.7, 48)
    every = 1 if flat else math.ceil(FONT * 1.5 / slot)  # crowded: every n-th label
    baseline = top_pad + plot
    height = baseline + (FONT * 2 if flat else longest * 0.71 + FONT * 2)
    parts = []
    for value in range(0, top + 1, step):
        y = baseline - plot * value / top
        parts.append(format_html(
            '<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
            '<text class="y-label" x="{}" y="{}" text-anchor="end">{}</text>',
            left, _n(y), width - right, _n(y), GRID, left - 6, _n(y + FONT * 0.35), value,
        ))
    for i, entry in enumerate(entries):
        cx, text = left + slot * (i + 0.5), table.text_of(entry)
        x, title = _n(cx - bar_width / 2), f"{entry.label}: {text}"
        if _is_shown(entry):
            bar_height = plot * (entry.value or 0) / top
            parts.append(format_html(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
                x, _n(baseline - bar_height), _n(bar_width), _n(bar_height), BAR, title,
            ))
            if _text_width(text) <= slot:
                parts.append(format_html('<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>',
                                         _n(cx), _n(baseline - bar_height - 5), text))
        else:
            # The same small dashed box for every hidden entry, whatever it stands for.
            parts.append(format_html(
                '<rect class="bar-hidden" x="{}" y="{}" width="{}" height="8" fill="#ffffff" stroke="{}"'
                ' stroke-dasharray="3 2"><title>{}</title></rect>',
                x, baseline - 8, _n(bar_width), HIDDEN_INK, title,
            ))
            upright = "" if _text_width(text) <= slot else format_html(
                ' transform="rotate(-90 {} {})" dominant-baseline="middle"', _n(cx), baseline - 14)
            parts.append(format_html(
                '<text class="value-hidden" x="{}" y="{}" text-anchor="{}"{}{}>{}</text>',
                _n(cx), baseline - 14, "middle" if not upright else "start", upright, _halo("#ffffff"), text,
            ))
        if i % every == 0:
            y = baseline + FONT + 4
            slant = "" if flat else format_html(' transform="rotate(-45 {} {})"', _n(cx), y)
            parts.append(format_html('<text class="x-label" x="{}" y="{}" text-anchor="{}"{}>{}</text>',
                                     _n(cx), y, "middle" if flat else "end", slant, entry.label))
    parts.append(format_html('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
                             left, baseline, width - right, baseline, INK))
    desc = " ".join((
        ngettext("%(count)d entry.", "%(count)d entries.", len(entries)) % {"count": len(entries)},
        _("Total: %(total)s.") % {"total": table.text_of(table.total)},
        _notes(table, entries),
    ))
    return _svg(uid, "chart-bars", width, height, table.title, desc, _join(parts))


# Hand-drawn outlines on a 640 × 320 grid (x west to east, y north to south); neighbours share
# their corner points. Islands and exclaves are extra outlines of the same district.
MAP_WIDTH, MAP_HEIGHT = 640, 320
OUTLINES: dict[str, tuple[str, ...]] = {
    districts.NORTHWESTERN: (
        "22,118 30,95 42,62 58,38 100,32 112,48 96,62 118,70 135,52 160,50 185,38 218,44 224,80 226,118"
        " 205,124 178,126 150,128 118,132 84,134 52,136 22,132",
        "4,112 15,110 15,121 4,122",  # Kaliningrad
        "174,30 190,14 212,6 217,11 196,21 182,34",  # Novaya Zemlya
    ),
    districts.CENTRAL: (
        "22,132 52,136 84,134 118,132 150,128 158,150 152,172 146,196 120,204 88,210 56,206 28,196 14,170"
        " 20,150",
    ),
    districts.SOUTHERN: (
        "28,196 56,206 88,210 120,204 146,196 160,212 166,232 176,250 168,262 150,262 120,266 90,262 62,256"
        " 40,248 30,236 24,216",
    ),
    districts.NORTH_CAUCASIAN: (
        "40,248 62,256 90,262 120,266 150,262 168,262 174,286 168,310 140,310 110,306 80,296 54,276",
    ),
    districts.VOLGA: (
        "150,128 178,126 205,124 226,118 240,140 252,168 248,196 258,214 236,226 204,228 166,232 160,212"
        " 146,196 152,172 158,150",
    ),
    districts.URAL: (
        "218,44 236,34 244,14 258,20 262,40 272,30 290,24 304,34 312,70 310,110 308,150 296,186 280,204"
        " 258,214 248,196 252,168 240,140 226,118 224,80",
    ),
    districts.SIBERIAN: (
        "304,34 316,22 332,16 350,6 366,14 388,32 392,56 398,100 412,150 404,190 398,214 380,222 350,226"
        " 330,222 318,196 296,186 308,150 310,110 312,70",
    ),
    districts.FAR_EASTERN: (
        "388,32 412,30 440,36 470,28 500,36 540,40 570,52 604,62 630,70 636,92 624,124 608,160 600,190"
        " 590,218 582,200 572,170 552,176 542,204 536,236 528,266 512,294 500,290 496,262 490,240 476,228"
        " 462,224 446,232 420,226 398,214 404,190 412,150 398,100 392,56",
        "556,214 563,212 566,250 559,264 553,240",  # Sakhalin
    ),
}
LABEL_AT: dict[str, tuple[int, int]] = {
    districts.NORTHWESTERN: (136, 96), districts.CENTRAL: (86, 166), districts.SOUTHERN: (98, 228),
    districts.NORTH_CAUCASIAN: (112, 280), districts.VOLGA: (204, 170), districts.URAL: (272, 114),
    districts.SIBERIAN: (358, 128), districts.FAR_EASTERN: (506, 108),
}


def _steps(values: Sequence[int], base: int) -> list[tuple[int, int, str, str]]:
    """Five equal ranges from 0 to the largest value, ends rounded up to the base: (low, high, fill, ink)."""
    if not values:
        return []
    largest = max(values)
    highs = sorted({-(-largest * i // (5 * base)) * base for i in range(1, 6)})
    lows = [0, *(high + base for high in highs[:-1])]
    shades = [PALETTE[round(i * 4 / (len(highs) - 1))] for i in range(len(highs))] if len(highs) > 1 else [PALETTE[0]]
    return [(low, high, *shade) for low, high, shade in zip(lows, highs, shades, strict=True)]


def _name(entry: ShownEntry) -> str:
    return str(districts.DISTRICT_NAMES.get(entry.key, entry.label))


def _swatch(x: float, y: float, fill: str, label: str) -> SafeString:
    return format_html('<rect x="{}" y="{}" width="16" height="12" fill="{}" stroke="{}"/>'
                       '<text x="{}" y="{}">{}</text>', _n(x), _n(y), fill, HIDDEN_INK, _n(x + 22), _n(y + 11), label)


def district_map(table: ShownTable, *, width: int = 640) -> SafeString:
    """The districts as a schematic map shaded by their numbers; the other groups and the total beside it."""
    width = max(width, MAP_WIDTH)  # narrower, the names would crowd; the whole drawing scales on a phone
    uid, scale = _uid(table), width / MAP_WIDTH
    by_key = {entry.key: entry for entry in table.entries}
    on_map = [entry for entry in table.entries if entry.key in OUTLINES]
    steps = _steps([entry.value or 0 for entry in on_map if _is_shown(entry)], table.base)
    hatch = f"{uid}-hidden"
    shapes: list[SafeString] = []
    labels: list[SafeString] = []
    for key, outlines in OUTLINES.items():
        entry, name = by_key.get(key), str(districts.DISTRICT_NAMES[key])  # short names, drawn to fit
        text = table.text_of(entry) if entry else ""
        if entry is None:
            fill, ink = "#ffffff", INK
        elif _is_shown(entry):
            fill, ink = next((f, i) for _low, high, f, i in steps if (entry.value or 0) <= high)
        else:
            fill, ink = f"url(#{hatch})", "#1a1a1a"
        title = f"{name}: {text}" if entry else name
        shapes.extend(format_html('<polygon class="district district-{}" points="{}" fill="{}"><title>{}</title>'
                                  '</polygon>', key, points, fill, title) for points in outlines)
        at_x, at_y = LABEL_AT[key]
        halo = _halo("#ffffff" if fill.startswith("url") else fill)
        labels.append(format_html(
            '<text class="district-label" x="{}" y="{}" text-anchor="middle" fill="{}"{}>{}'
            '<tspan x="{}" dy="{}" font-weight="bold">{}</tspan></text>',
            _n(at_x * scale), _n(at_y * scale), ink, halo, name, _n(at_x * scale), FONT + 2, text,
        ))
    parts = [
        format_html('<defs><pattern id="{}" width="6" height="6" patternUnits="userSpaceOnUse"'
                    ' patternTransform="rotate(45)"><rect width="6" height="6" fill="#ececec"/>'
                    '<line x1="0" y1="0" x2="0" y2="6" stroke="#9a9a9a" stroke-width="2"/></pattern></defs>', hatch),
        format_html('<g transform="scale({})" stroke="#4d4d4d" stroke-linejoin="round">{}</g>',
                    _n(scale), _join(shapes)),
        _join(labels),
    ]
    # The legend: the shades and the hatch in a row, wrapped on a narrow chart, then the groups not on the map.
    x, y = 8.0, MAP_HEIGHT * scale + 12
    items = [(fill, f"{low}–{high}" if low != high else str(high)) for low, high, fill, _ink in steps]
    items.append((f"url(#{hatch})", _("hidden: “< %(threshold)d” or “—”") % {"threshold": table.threshold}))
    for fill, label in items:
        item_width = 22 + _text_width(label) + 18
        if x + item_width > width and x > 8:
            x, y = 8.0, y + FONT + 10
        parts.append(_swatch(x, y, fill, label))
        x += item_width
    y += FONT + 24
    parts.append(format_html('<text class="note" x="8" y="{}">{}</text>', _n(y),
                             _("Numbers are rounded to the nearest %(base)d.") % {"base": table.base}))
    rows = [entry for entry in table.entries if entry.key not in OUTLINES]
    lines = [(_name(e), table.text_of(e)) for e in rows]
    lines.append((_("Total"), table.text_of(table.total)))
    box_top = y + 12
    parts.append(format_html('<rect class="groups" x="8" y="{}" width="{}" height="{}" fill="#ffffff" stroke="{}"/>',
                             _n(box_top), width - 16, (len(lines) + 1) * (FONT + 7) + 6, GRID))
    parts.append(format_html('<text x="16" y="{}" font-weight="bold">{}</text>', _n(box_top + FONT + 6),
                             _("Not on the map")))
    for i, (name, text) in enumerate(lines, start=2):
        parts.append(format_html('<text class="group" x="16" y="{}">{}: <tspan font-weight="bold">{}</tspan></text>',
                                 _n(box_top + i * (FONT + 7)), name, text))
    height = box_top + (len(lines) + 1) * (FONT + 7) + 14
    desc = " ".join((
        _("Schematic map of the federal districts."),
        "; ".join(f"{_name(e)}: {table.text_of(e)}" for e in (*on_map, *rows)) + ".",
        _notes(table, table.entries),
    ))
    return _svg(uid, "chart-map", width, height, table.title, desc, _join(parts))
