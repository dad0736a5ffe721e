"""Server-rendered SVG charts: self-contained, no scripts, no external resources.

Every label is XML-escaped (data can hold any text), and every mark carries a
``<title>`` with its figures (and the full label where it is wrapped or shortened) so
screen readers and tooltips can read them. Charts are drawn about a phone's width with
text of at least :data:`MIN_TEXT` units, and never drawn narrower than that width (the
page scrolls the chart instead), so their text is never under 12 CSS pixels.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from tallyroom.publish.colours import difference, lab

MIN_TEXT = 12
"""the smallest font size used, in SVG units (= CSS pixels at the narrowest drawing)"""
WIDTH = 360
"""the width the site's charts are drawn at: a phone's, less the page margins"""


def _svg_open(width: int, height: float, title: str, font_size: int = MIN_TEXT) -> str:
    """An ``<svg>`` start tag that scales up with its container but never below ``width``
    pixels, and its ``<title>``."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'role="img" aria-label="{escape(title, _QUOTE)}" style="min-width: {width}px" '
        f'font-family="system-ui, sans-serif" font-size="{font_size}">'
        f"<title>{escape(title)}</title>"
    )


ALIKE = 10.0
"""ΔE00 under which two colours in one chart read as the same: the later is hatched"""


def _fills(colours: Sequence[str]) -> tuple[list[str], str]:
    """Each mark's fill, and the ``<defs>`` they need: a colour too like an earlier one in
    the same chart (two parties that both use black) is drawn hatched with white, so no
    two parties look the same; marks without a colour of their own are grey."""
    fills, defs, seen = [], [], []
    for colour in colours:
        if not _HEX.fullmatch(colour or ""):  # no colour of its own: the neutral grey
            fills.append("#999999")
            continue
        if any(difference(colour, other) < ALIKE for other in seen):
            name = f"alike-{colour.lstrip('#')}"
            defs.append(
                f'<pattern id="{name}" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
                '<rect width="2" height="6" fill="white"/></pattern>'
            )
            fills.append(f"url(#{name})")
        else:
            fills.append(colour)
        seen.append(colour)
    return fills, f"<defs>{''.join(defs)}</defs>" if defs else ""


@dataclass(frozen=True)
class Point:
    """One mark of a scatter plot."""

    x: float
    y: float
    label: str
    colour: str = "#4a6fa5"


def scatter_svg(
    points: Sequence[Point],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 640,
    height: int = 440,
) -> str:
    """A scatter plot with axes, gridlines at round values, and a least-squares line."""
    left, right, top, bottom = 64, 24, 48, 56
    xs, ys = [p.x for p in points], [p.y for p in points]
    x0, x1 = _nice_range(xs)
    y0, y1 = _nice_range(ys)

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)

    label = escape(title, _QUOTE)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{label}" '
        'font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="15" '
        f'font-weight="600">{escape(title)}</text>',
    ]
    for value in _ticks(x0, x1):
        parts.append(
            f'<line x1="{sx(value):.1f}" x2="{sx(value):.1f}" y1="{top}" '
            f'y2="{height - bottom}" stroke="#e5e5e5"/>'
        )
        parts.append(
            f'<text x="{sx(value):.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{value:g}</text>'
        )
    for value in _ticks(y0, y1):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{sy(value):.1f}" '
            f'y2="{sy(value):.1f}" stroke="#e5e5e5"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{sy(value) + 4:.1f}" text-anchor="end">{value:g}</text>'
        )
    parts.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 14}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text transform="translate(16 {(top + height - bottom) / 2}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    if len(points) > 1 and len(set(xs)) > 1:
        slope, intercept = _least_squares(xs, ys)
        parts.append(
            f'<line x1="{sx(x0):.1f}" y1="{sy(slope * x0 + intercept):.1f}" x2="{sx(x1):.1f}" '
            f'y2="{sy(slope * x1 + intercept):.1f}" stroke="#999" stroke-dasharray="4 3"/>'
        )
    for p in points:
        parts.append(
            f'<circle cx="{sx(p.x):.1f}" cy="{sy(p.y):.1f}" r="4.5" fill="{escape(p.colour)}" '
            f'fill-opacity="0.8"><title>{escape(p.label)}: {p.x:.1f}, {p.y:.1f}</title></circle>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _nice_range(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values, default=0.0), max(values, default=1.0)
    step = _step(low, high)
    low, high = step * (low // step), step * -(-high // step)
    return (low, high) if high > low else (low, low + step)


def _step(low: float, high: float) -> float:
    span = max(high - low, 1e-9)
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if span / step <= 8:
            return float(step)
    return 10 ** len(str(int(span)))


def _ticks(low: float, high: float) -> list[float]:
    step = _step(low, high)
    count = round((high - low) / step)
    return [low + i * step for i in range(count + 1)]


def _least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return slope, mean_y - slope * mean_x


@dataclass(frozen=True)
class SeatBlock:
    """One party's block in a seat chart."""

    party: str
    seats: int
    colour: str
    position: float | None = None
    """left to right in the House; blocks without one follow, in the order given"""


def hemicycle_svg(blocks: Sequence[SeatBlock], *, title: str, width: int = WIDTH) -> str:
    """A parliament diagram: one dot per seat on concentric arcs, parties left to right
    by their position (as the House seats them), not by size."""
    blocks = sorted(blocks, key=lambda b: (b.position is None, b.position or 0.0))
    total = sum(b.seats for b in blocks)
    rows = max(1, round(math.sqrt(total / 4)))
    inner, outer = 0.4, 1.0
    radii = [inner + (outer - inner) * i / max(rows - 1, 1) for i in range(rows)]
    per_row = [round(total * r / sum(radii)) for r in radii]
    per_row[-1] += total - sum(per_row)
    spots = []
    for radius, count in zip(radii, per_row, strict=True):
        for k in range(count):
            angle = math.pi * (1 - (k + 0.5) / count) if count > 1 else math.pi / 2
            spots.append((angle, radius))
    spots.sort(key=lambda s: (-s[0], s[1]))
    height = width // 2 + 40
    centre_x, centre_y, scale = width / 2, width / 2 + 8, width / 2 - 16
    dot = 0.9 * scale * (outer - inner) / max(rows - 1, 1) / 2 if rows > 1 else 8
    fills, defs = _fills([b.colour for b in blocks])
    parts = [_svg_open(width, height, title), defs]
    index = 0
    for block, fill in zip(blocks, fills, strict=True):
        parts.append(f'<g fill="{fill}"><title>{escape(block.party)}: {block.seats}</title>')
        for angle, radius in spots[index : index + block.seats]:
            x = centre_x + scale * radius * math.cos(angle)
            y = centre_y - scale * radius * math.sin(angle)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{min(dot, 9):.1f}"/>')
        parts.append("</g>")
        index += block.seats
    parts.append(
        f'<text x="{centre_x}" y="{centre_y - 4}" text-anchor="middle" font-size="28" '
        f'font-weight="700">{total}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass(frozen=True)
class Hex:
    """One electorate on a hexagon map: map position, short label, value, colour."""

    u: float
    v: float
    code: str
    name: str
    value: float
    colour: str


def hex_map_svg(
    cells: Sequence[Hex],
    *,
    title: str,
    legend: str,
    key: Sequence[tuple[str, str]] = (),
    width: int = WIDTH,
) -> str:
    """Electorates as equal hexagons at their map positions (north at the top), each
    labelled with its code, with a colour key of (label, colour) swatches under the map."""
    us, vs = [c.u for c in cells], [c.v for c in cells]
    step = min(
        math.dist((a.u, a.v), (b.u, b.v)) for i, a in enumerate(cells) for b in cells[i + 1 :]
    )
    pad = step / 2
    span_u, span_v = max(us) - min(us) + 2 * pad, max(vs) - min(vs) + 2 * pad
    scale = (width - 20) / span_u
    legend_lines = _wrap(legend, (width - 20) // 7, 3)
    top = 44 + 16 * len(legend_lines)
    map_bottom = int(span_v * scale) + top + 10
    rows = -(-len(key) // 4)
    height = map_bottom + 34 * rows
    radius = step * scale / math.sqrt(3) * 1.0

    def corners(x: float, y: float) -> str:
        return " ".join(
            f"{x + radius * math.cos(math.radians(60 * k + 30)):.1f},"
            f"{y + radius * math.sin(math.radians(60 * k + 30)):.1f}"
            for k in range(6)
        )

    parts = [
        _svg_open(width, height, title),
        f'<text x="10" y="20" font-size="15" font-weight="600">{escape(title)}</text>',
        *(
            f'<text x="10" y="{40 + 16 * i}" fill="#555">{escape(line)}</text>'
            for i, line in enumerate(legend_lines)
        ),
    ]
    for c in cells:
        x = 10 + (c.u - min(us) + pad) * scale
        y = top + (max(vs) - c.v + pad) * scale
        parts.append(
            f"<g><title>{escape(c.name)} ({escape(c.code)}): {c.value:.1f}</title>"
            f'<polygon points="{corners(x, y)}" fill="{escape(c.colour)}" stroke="white"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" letter-spacing="-0.4"'
            f"{_ink(c.colour)}>{escape(c.code)}</text></g>"
        )
    swatch = (width - 20) / 4
    for i, (label, colour) in enumerate(key):
        x, y = 10 + (i % 4) * swatch, map_bottom + 34 * (i // 4)
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{swatch - 4:.1f}" height="10" '
            f'fill="{escape(colour)}" stroke="#ccc" stroke-width="0.5"/>'
            f'<text x="{x:.1f}" y="{y + 25}" fill="#555">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


PU_OR = ("#b35806", "#e08214", "#fdb863", "#fee0b6", "#d8daeb", "#b2abd2", "#8073ac", "#542788")
"""ColorBrewer's 8-class PuOr (colour-blind safe): orange below the middle, purple above"""


def _ink(colour: str) -> str:
    """The fill attribute that keeps a label readable on ``colour``: white on dark."""
    return ' fill="white"' if _HEX.fullmatch(colour) and lab(colour)[0] < 50 else ""


def diverging_key(middle: float = 50.0, step: float = 5.0) -> list[tuple[str, str]]:
    """The colour key of :func:`diverging_colour`: one (label, colour) per class."""
    half = len(PU_OR) // 2
    edges = [middle + step * (i - half + 1) for i in range(len(PU_OR) - 1)]
    labels = [
        f"< {edges[0]:.0f} %",
        *(f"{a:.0f}–{b:.0f} %" for a, b in itertools.pairwise(edges)),
        f"≥ {edges[-1]:.0f} %",
    ]
    return list(zip(labels, PU_OR, strict=True))


def diverging_colour(value: float, middle: float = 50.0, step: float = 5.0) -> str:
    """The PuOr class of ``value``: classes ``step`` points wide either side of
    ``middle``, the outermost open-ended, so 45 % and 52 % fall in classes of different
    hue, not two shades of near-white."""
    half = len(PU_OR) // 2
    index = half + math.floor((value - middle) / step)
    return PU_OR[max(0, min(len(PU_OR) - 1, index))]


@dataclass(frozen=True)
class Bar:
    """One bar of a bar chart: a label, its value, colour, and the figure printed beside it."""

    label: str
    value: float
    colour: str = "#4a6fa5"
    text: str = ""
    title: str = ""
    """the label in full for the tooltip, where ``label`` is a shorter form"""


def bars_svg(bars: Sequence[Bar], *, title: str, width: int = WIDTH) -> str:
    """Horizontal bars, one per row, labelled on the left (long labels wrapped onto a
    second line, shortened only beyond that, the full label in the bar's title); negative
    values extend left of a zero line (for changes)."""
    label_width, text_width = 128, 52
    labels = [_wrap(bar.label, label_width // 7, 2) for bar in bars]
    row = 36 if any(len(lines) > 1 for lines in labels) else 24
    title_lines = _wrap(title, (width - 10) // 8, 2)
    top = 14 + 20 * len(title_lines)
    low = min(0.0, *(b.value for b in bars)) if bars else 0.0
    high = max(0.0, *(b.value for b in bars)) if bars else 1.0
    span = (high - low) or 1.0
    plot = width - label_width - text_width * (2 if low < 0 else 1)
    zero = label_width + (text_width if low < 0 else 0) + plot * (-low / span)
    height = top + row * len(bars) + 8
    fills, defs = _fills([b.colour for b in bars])
    parts = [
        _svg_open(width, height, title),
        defs,
        *(
            f'<text x="0" y="{18 + 20 * i}" font-size="15" font-weight="600">{escape(line)}</text>'
            for i, line in enumerate(title_lines)
        ),
    ]
    for i, (bar, lines, fill) in enumerate(zip(bars, labels, fills, strict=True)):
        y = top + i * row
        length = plot * abs(bar.value) / span
        x = zero if bar.value >= 0 else zero - length
        text_x, anchor = (x + length + 4, "start") if bar.value >= 0 else (x - 4, "end")
        shown = bar.text or f"{bar.value:g}"
        middle = y + row / 2
        first = middle + 4 - 7 * (len(lines) - 1)
        label = "".join(
            f'<tspan x="{label_width - 6}" y="{first + 14 * k:.0f}">{escape(line)}</tspan>'
            for k, line in enumerate(lines)
        )
        parts.append(
            f"<g><title>{escape(bar.title or bar.label)}: {escape(shown)}</title>"
            f'<text text-anchor="end">{label}</text>'
            f'<rect x="{x:.1f}" y="{middle - 9:.0f}" width="{max(length, 0.5):.1f}" height="18" '
            f'fill="{fill}"/>'
            f'<text x="{text_x:.1f}" y="{middle + 4:.0f}" text-anchor="{anchor}">'
            f"{escape(shown)}</text></g>"
        )
    if low < 0:
        parts.append(
            f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top}" y2="{height - 8}" stroke="#555"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _wrap(text: str, width: int, lines: int) -> list[str]:
    """``text`` in at most ``lines`` lines of about ``width`` characters, broken between
    words; what does not fit is cut with an ellipsis (the caller shows it whole in a
    title)."""
    found: list[str] = []
    for word in text.split():
        if found and len(found[-1]) + 1 + len(word) <= width:
            found[-1] += " " + word
        else:
            found.append(word)
    if len(found) > lines:
        found = [*found[: lines - 1], " ".join(found[lines - 1 :])]
    return [_clip(line, width) for line in found] or [""]


def _clip(text: str, length: int) -> str:
    """``text`` shortened to ``length`` characters with an ellipsis."""
    return text if len(text) <= length else text[: length - 1] + "…"


_QUOTE = {'"': "&quot;"}


@dataclass(frozen=True)
class Spread:
    """One row of an interval chart: a most likely value with 80 % and 95 % intervals."""

    label: str
    most_likely: float
    p80: tuple[float, float]
    p95: tuple[float, float]
    colour: str = ""


def intervals_svg(rows: Sequence[Spread], *, title: str, width: int = 560) -> str:
    """Projected figures, one row each: a thin line for the 95 % interval, a thick one for
    the 80 % interval and a dot at the most likely value, on one scale from zero."""
    row, top, label_width, text_width = 24, 34, 200, 90
    high = max((r.p95[1] for r in rows), default=1.0) or 1.0
    plot = width - label_width - text_width

    def x(value: float) -> float:
        return label_width + plot * value / high

    height = top + row * len(rows) + 8
    parts = _titled_svg(width, height, title)
    for i, r in enumerate(rows):
        y = top + i * row + row / 2
        colour = escape(r.colour or "#999")
        text = f"{r.most_likely:g} ({r.p80[0]:g}–{r.p80[1]:g})"
        parts.append(
            f"<g><title>{escape(r.label)}: most likely {r.most_likely:g}, 80 % "
            f"{r.p80[0]:g}–{r.p80[1]:g}, 95 % {r.p95[0]:g}–{r.p95[1]:g}</title>"
            f'<text x="{label_width - 6}" y="{y + 4}" text-anchor="end">'
            f"{escape(_clip(r.label, 26))}</text>"
            f'<line x1="{x(r.p95[0]):.1f}" x2="{x(r.p95[1]):.1f}" y1="{y}" y2="{y}" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<line x1="{x(r.p80[0]):.1f}" x2="{x(r.p80[1]):.1f}" y1="{y}" y2="{y}" '
            f'stroke="{colour}" stroke-width="8"/>'
            f'<circle cx="{x(r.most_likely):.1f}" cy="{y}" r="5" fill="white" '
            f'stroke="#222" stroke-width="1.5"/>'
            f'<text x="{x(r.p95[1]) + 6:.1f}" y="{y + 4}">{escape(text)}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _titled_svg(width: int, height: int, title: str) -> list[str]:
    """The opening of a row chart: the SVG element, its accessible title, a heading."""
    return [
        _svg_open(width, height, title),
        f'<text x="0" y="18" font-size="15" font-weight="600">{escape(title)}</text>',
    ]


_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


BLUES = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594")
"""ColorBrewer's 8-class Blues (sequential): the darker, the larger a share"""
BLUES_EDGES = (1, 5, 10, 20, 35, 50, 70)
"""the per cents where each class of :data:`BLUES` begins (after the first)"""


def sequential_colour(percent: float) -> str:
    """The :data:`BLUES` class of a share from 0 to 100 %."""
    return BLUES[sum(percent >= edge for edge in BLUES_EDGES)]


def sequential_key() -> list[tuple[str, str]]:
    """The colour key of :func:`sequential_colour`: one (label, colour) per class."""
    edges = (0, *BLUES_EDGES)
    labels = [f"{a}–{b} %" for a, b in itertools.pairwise(edges)] + [f"≥ {edges[-1]} %"]
    return list(zip(labels, BLUES, strict=True))


def heatmap_svg(
    rows: Sequence[str], columns: Sequence[str], percent: Sequence[Sequence[float]], *, title: str
) -> str:
    """A matrix of shares as coloured cells (rows down the left, columns slanted along
    the top), each cell printing its per cent to the nearest whole number and carrying
    its exact figure and both labels in its title. Drawn at its natural size; the page
    scrolls a wide one."""
    cell_w, cell_h, label_w, head = 34, 22, 150, 128
    width = label_w + cell_w * len(columns) + 96  # room for the last slanted label
    title_lines = _wrap(title, (width - 10) // 8, 2)
    top = 20 * len(title_lines) + head
    height = top + cell_h * len(rows) + 8
    parts = [
        _svg_open(width, height, title),
        *(
            f'<text x="0" y="{18 + 20 * i}" font-size="15" font-weight="600">{escape(line)}</text>'
            for i, line in enumerate(title_lines)
        ),
    ]
    for j, column in enumerate(columns):
        x = label_w + cell_w * j + cell_w / 2
        parts.append(
            f'<text transform="translate({x:.0f},{top - 6}) rotate(-50)">'
            f"<title>{escape(column)}</title>{escape(_clip(column, 22))}</text>"
        )
    for i, (row, values) in enumerate(zip(rows, percent, strict=True)):
        y = top + cell_h * i
        parts.append(
            f'<text x="{label_w - 6}" y="{y + cell_h / 2 + 4:.0f}" text-anchor="end">'
            f"<title>{escape(row)}</title>{escape(_clip(row, 20))}</text>"
        )
        for j, (column, value) in enumerate(zip(columns, values, strict=True)):
            colour = sequential_colour(value)
            x = label_w + cell_w * j
            shown = f"{value:.0f}" if round(value) else ""
            parts.append(
                f"<g><title>{escape(row)} → {escape(column)}: {value:.2f} %</title>"
                f'<rect x="{x}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}" '
                f'fill="{colour}"/><text x="{x + cell_w / 2:.0f}" y="{y + cell_h / 2 + 4:.0f}" '
                f'text-anchor="middle"{_ink(colour)}>{shown}</text></g>'
            )
    parts.append("</svg>")
    return "\n".join(parts)
