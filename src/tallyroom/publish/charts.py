"""Server-rendered SVG charts: self-contained, no scripts, no external resources.

Every label is XML-escaped (data can hold any text), and every mark carries a
``<title>`` with its figures so screen readers and tooltips can read them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape


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
class Seats:
    """One party's block in a seat chart."""

    party: str
    seats: int
    colour: str


def hemicycle_svg(blocks: Sequence[Seats], *, title: str, width: int = 560) -> str:
    """A parliament diagram: one dot per seat on concentric arcs, parties left to right."""
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
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title, _QUOTE)}" font-family="system-ui, sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    index = 0
    for block in blocks:
        parts.append(
            f'<g fill="{escape(block.colour or "#999")}"><title>{escape(block.party)}: '
            f"{block.seats}</title>"
        )
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
    width: int = 520,
) -> str:
    """Electorates as equal hexagons at their map positions (north at the top), with a
    colour key of (label, colour) swatches under the map."""
    us, vs = [c.u for c in cells], [c.v for c in cells]
    step = min(
        math.dist((a.u, a.v), (b.u, b.v)) for i, a in enumerate(cells) for b in cells[i + 1 :]
    )
    pad = step
    span_u, span_v = max(us) - min(us) + 2 * pad, max(vs) - min(vs) + 2 * pad
    scale = (width - 20) / span_u
    map_bottom = int(span_v * scale) + 60
    height = map_bottom + (34 if key else 0)
    radius = step * scale / math.sqrt(3) * 1.0

    def corners(x: float, y: float) -> str:
        return " ".join(
            f"{x + radius * math.cos(math.radians(60 * k + 30)):.1f},"
            f"{y + radius * math.sin(math.radians(60 * k + 30)):.1f}"
            for k in range(6)
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title, _QUOTE)}" font-family="system-ui, sans-serif" font-size="9">',
        f"<title>{escape(title)}</title>",
        f'<text x="10" y="20" font-size="14" font-weight="600">{escape(title)}</text>',
        f'<text x="10" y="38" font-size="11" fill="#555">{escape(legend)}</text>',
    ]
    for c in cells:
        x = 10 + (c.u - min(us) + pad) * scale
        y = 50 + (max(vs) - c.v + pad) * scale
        parts.append(
            f"<g><title>{escape(c.name)}: {c.value:.1f}</title>"
            f'<polygon points="{corners(x, y)}" fill="{escape(c.colour)}" stroke="white"/>'
            f'<text x="{x:.1f}" y="{y + 3:.1f}" text-anchor="middle">{escape(c.code)}</text></g>'
        )
    swatch = min(44.0, (width - 20) / max(len(key), 1))
    for i, (label, colour) in enumerate(key):
        x = 10 + i * swatch
        parts.append(
            f'<rect x="{x:.1f}" y="{map_bottom}" width="{swatch:.1f}" height="10" '
            f'fill="{escape(colour)}" stroke="#ccc" stroke-width="0.5"/>'
            f'<text x="{x + swatch / 2:.1f}" y="{map_bottom + 24}" text-anchor="middle" '
            f'font-size="10" fill="#555">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def diverging_key(
    middle: float = 50.0, spread: float = 30.0, steps: int = 7
) -> list[tuple[str, str]]:
    """The colour key of :func:`diverging_colour`: evenly spaced percentages from
    ``middle - spread`` to ``middle + spread`` (the ends stand for everything beyond)."""
    values = [middle - spread + 2 * spread * i / (steps - 1) for i in range(steps)]
    labels = [f"{v:.0f} %" for v in values]
    labels[0], labels[-1] = f"≤ {labels[0]}", f"≥ {labels[-1]}"
    return [
        (label, diverging_colour(v, middle, spread))
        for label, v in zip(labels, values, strict=True)
    ]


def diverging_colour(value: float, middle: float = 50.0, spread: float = 30.0) -> str:
    """Orange below ``middle``, purple above, paler near it (colour-blind safe PuOr)."""
    t = max(-1.0, min(1.0, (value - middle) / spread))
    low, mid, high = (230, 97, 1), (247, 247, 247), (94, 60, 153)
    end = high if t > 0 else low
    mix = [round(m + (e - m) * abs(t)) for m, e in zip(mid, end, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*mix)


@dataclass(frozen=True)
class Bar:
    """One bar of a bar chart: a label, its value, colour, and the figure printed beside it."""

    label: str
    value: float
    colour: str = "#4a6fa5"
    text: str = ""


def bars_svg(bars: Sequence[Bar], *, title: str, width: int = 560) -> str:
    """Horizontal bars, one per row, labelled on the left; negative values extend left of
    a zero line (for changes)."""
    row, top, label_width, text_width = 24, 34, 200, 64
    low = min(0.0, *(b.value for b in bars)) if bars else 0.0
    high = max(0.0, *(b.value for b in bars)) if bars else 1.0
    span = (high - low) or 1.0
    plot = width - label_width - 2 * text_width
    zero = label_width + text_width + plot * (-low / span)
    height = top + row * len(bars) + 8
    parts = _titled_svg(width, height, title)
    for i, bar in enumerate(bars):
        y = top + i * row
        length = plot * abs(bar.value) / span
        x = zero if bar.value >= 0 else zero - length
        text_x, anchor = (x + length + 4, "start") if bar.value >= 0 else (x - 4, "end")
        shown = bar.text or f"{bar.value:g}"
        parts.append(
            f"<g><title>{escape(bar.label)}: {escape(shown)}</title>"
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">'
            f"{escape(_clip(bar.label, 26))}</text>"
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(length, 0.5):.1f}" height="{row - 6}" '
            f'fill="{escape(bar.colour or "#999")}"/>'
            f'<text x="{text_x:.1f}" y="{y + 15}" text-anchor="{anchor}">{escape(shown)}</text>'
            "</g>"
        )
    if low < 0:
        parts.append(
            f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top}" y2="{height - 8}" stroke="#555"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


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
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title, _QUOTE)}" font-family="system-ui, sans-serif" '
        'font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-size="14" font-weight="600">{escape(title)}</text>',
    ]
