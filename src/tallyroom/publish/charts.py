"""Server-rendered SVG charts: self-contained, no scripts, no external resources.

Every label is XML-escaped (data can hold any text), and every mark carries a
``<title>`` with its figures so screen readers and tooltips can read them.
"""

from __future__ import annotations

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

    label = escape(title, {'"': "&quot;"})
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
