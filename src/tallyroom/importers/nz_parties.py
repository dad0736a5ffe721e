"""Names the same New Zealand party has had on the party ballot, 2002–2023.

Each variant maps to a name the party was also published under (its latest).

Returns keep party names exactly as published; analysis across elections maps them to
one name with :func:`canonical_party`. Only renamings of the same registered party are
listed, not successor or merged parties (the Conservative Party became New Conservative
in 2017 under a new registration and is kept apart; Internet MANA, a 2014 joint list,
is kept apart from Mana).
"""

from __future__ import annotations

ALIASES: dict[str, str] = {
    "Maori Party": "Te Pāti Māori",
    "Māori Party": "Te Pāti Māori",
    "New Conservative": "New Conservatives",
    "Progressive Coalition": "Jim Anderton's Progressive",
    "MANA": "Mana",
    "Legalise Cannabis": "Aotearoa Legalise Cannabis Party",
    "Christian Heritage": "Christian Heritage NZ",
    "Democrats for Social Credit": "Social Credit",
}


def canonical_party(name: str) -> str:
    """The one name used across elections for a party published as ``name``."""
    return ALIASES.get(name, name)
