"""Candidate names as New Zealand publishes them, compared and shown.

The result files give ``SURNAME, Given Names`` ("WILLIS, Nicola Jane"); party lists
sometimes give fewer given names ("WILLIS, Nicola"); people write "Nicola Willis". Two
names are taken to be the same person when their surnames are equal and one's given
names begin with the other's, the first given name perhaps shortened ("BISHOP, Chris",
"BISHOP, Christopher"); case, spacing and Unicode normalisation aside. Callers narrow the
match (same party, same electorate) before relying on it.
"""

from __future__ import annotations

import unicodedata


def _tokens(text: str) -> list[str]:
    return unicodedata.normalize("NFC", text).casefold().split()


def _parts(name: str) -> tuple[list[str], list[str] | None]:
    """(given names, surname) of ``SURNAME, Given``; (every word, None) without a comma."""
    if "," in name:
        surname, given = name.split(",", 1)
        return _tokens(given), _tokens(surname)
    return _tokens(name), None


def _agree(a: list[str], b: list[str]) -> bool:
    """Given names that agree as far as the shorter goes: the first may be short for the
    other ("Chris", "Christopher"), the rest must be equal."""
    n = min(len(a), len(b))
    if n == 0 or not (a[0].startswith(b[0]) or b[0].startswith(a[0])):
        return False
    return a[1:n] == b[1:n]


def same_person(a: str, b: str) -> bool:
    """Whether names ``a`` and ``b`` (either form) name the same candidate."""
    given_a, surname_a = _parts(a)
    given_b, surname_b = _parts(b)
    if surname_a is not None and surname_b is not None:
        return surname_a == surname_b and _agree(given_a, given_b)
    if surname_a is None and surname_b is None:
        return given_a == given_b
    if surname_a is None:
        (given, surname), words = (given_b, surname_b), given_a
    else:
        (given, surname), words = (given_a, surname_a), given_b
    assert surname is not None
    n = len(surname)
    return len(words) > n and words[-n:] == surname and _agree(given, words[:-n])


def same_surname(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` (``SURNAME, Given``) share a surname, one perhaps a part of
    the other's double-barrelled one ("BOYACK", "BOYACK-MAYER")."""
    surname_a, surname_b = (" ".join(_parts(n)[1] or _parts(n)[0][-1:]) for n in (a, b))
    if not surname_a or not surname_b:
        return False
    short, long = sorted((surname_a, surname_b), key=len)
    return long == short or long.startswith(short + "-") or long.endswith("-" + short)


def display_name(name: str) -> str:
    """``SURNAME, Given`` as people write it: "WILLIS, Nicola" → "Nicola Willis".

    A surname's capitals become an initial capital (also after a hyphen or an
    apostrophe), keeping a prefix published in lower case ("McANULTY" → "McAnulty"); a
    prefix published in capitals cannot be told apart ("VAN VELDEN" → "Van Velden").
    Names without a comma are returned as they are.
    """
    if "," not in name:
        return " ".join(name.split())
    surname, given = (part.strip() for part in name.split(",", 1))
    surname = " ".join(_capital_word(word) for word in surname.split())
    return " ".join(f"{given} {surname}".split())


def _capital_word(word: str) -> str:
    """A surname word from capitals: "WILLIS" → "Willis", "McANULTY" → "McAnulty"."""
    start = len(word)
    while start > 0 and not word[start - 1].islower():
        start -= 1
    tail = word[start:]
    return word[:start] + _capitalise(tail) if any(c.isupper() for c in tail) else word


def _capitalise(surname: str) -> str:
    out, start = [], True
    for char in surname.lower():
        out.append(char.upper() if start else char)
        start = char in " -'’"
    return "".join(out)
