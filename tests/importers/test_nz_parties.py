"""Every name in the party alias table occurs in the published data."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from tallyroom.importers.nz_parties import ALIASES, canonical_party


def test_every_alias_and_target_is_a_published_party_name(shared_data: Path) -> None:
    published: set[str] = set()
    history = shared_data / "nz" / "history" / "voting-place-results-2002-2017.csv.gz"
    with gzip.open(history, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["vote_type"] == "party":
                published.add(row["party"])
    with (shared_data / "nz" / "2020" / "electorate-results-official.csv").open(
        encoding="utf-8"
    ) as handle:
        published |= {row["party"] for row in csv.DictReader(handle)}
    with (
        shared_data / "nz" / "official" / "2023" / "votes-for-registered-parties-by-electorate.csv"
    ).open(encoding="utf-8-sig") as handle:
        next(handle)  # the title line
        published |= set(next(csv.reader(handle)))
    assert set(ALIASES) <= published
    assert set(ALIASES.values()) <= published
    assert canonical_party("Maori Party") == canonical_party("Māori Party") == "Te Pāti Māori"
    assert canonical_party("National Party") == "National Party"
