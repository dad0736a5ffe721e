"""Figures as they are printed: signed changes that never read "-0.00", and differences
in percentage points said in words ("1 point lower")."""

from __future__ import annotations


def signed(value: float, digits: int = 2) -> str:
    """``value`` with its sign to ``digits`` places; one that rounds to zero is "0.00",
    never "-0.00" or "+0.00"."""
    shown = round(value, digits)
    if shown == 0:
        return f"{0:.{digits}f}"
    return f"{shown:+.{digits}f}"


def points(difference: float, digits: int = 0) -> str:
    """A difference in percentage points in words: "1 point lower", "2.5 points higher",
    "no different" when it rounds to zero."""
    size = round(abs(difference), digits)
    if size == 0:
        return "no different"
    unit = "point" if size == 1 else "points"
    return f"{size:.{digits}f} {unit} {'lower' if difference < 0 else 'higher'}"
