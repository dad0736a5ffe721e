"""Electorate names as people type them: without macrons, in any case, "Mount" or "Mt",
with hyphens for spaces (as in a URL), and the nearest names when nothing matches.

"Whangarei" finds Whangārei, "mount-albert" finds Mt Albert, "te tai tokerau" finds Te
Tai Tokerau; "Nothland" finds nothing, and :func:`nearest` suggests Northland.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping

_SHORT_FORMS = {"mt": "mount"}


def fold(name: str) -> str:
    """``name`` reduced to what tells it apart: no diacritics, lower case, words split
    on spaces, hyphens and punctuation, "Mt" written out as "Mount"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    words = re.findall(r"\w+", plain.casefold())
    return " ".join(_SHORT_FORMS.get(w, w) for w in words)


def find(names: Mapping[int, str], text: str) -> int | None:
    """The number of the electorate in ``names`` (number → name) that ``text`` names, by
    number, name or slug; ``None`` if none does."""
    wanted = text.strip()
    if wanted.isdigit():
        return int(wanted) if int(wanted) in names else None
    folded = fold(wanted)
    for number, name in names.items():
        if fold(name) == folded:
            return number
    return None


def nearest(names: Mapping[int, str], text: str, count: int = 3) -> list[str]:
    """Up to ``count`` names in ``names`` closest to ``text`` (spelling slips, a word
    left out), best first."""
    by_fold = {fold(name): name for name in names.values()}
    close = difflib.get_close_matches(fold(text), list(by_fold), n=count, cutoff=0.6)
    return [by_fold[f] for f in close]
