"""Read the 2020 tidy electorate tables as the tests need them.

Party votes are summed over electorates; each electorate's winner comes from its
candidate votes. Informal votes are listed in these files under party names starting
"Informal"; they are counted beside the choices, never as one.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from tallyroom.rules.fpp import ElectorateOutcome, decide_electorate


@dataclass(frozen=True)
class Stage2020:
    party_votes: dict[str, int]
    informal_party_votes: int
    electorates: dict[str, ElectorateOutcome]
    winner_party: dict[str, str]

    def electorate_seats(self) -> dict[str, int]:
        return dict(Counter(self.winner_party.values()))


def read_stage(data: Path, stage: str) -> Stage2020:
    path = data / "nz" / "2020" / f"electorate-results-{stage}.csv"
    party_votes: Counter[str] = Counter()
    informal = 0
    candidates: dict[str, dict[str, int]] = defaultdict(dict)
    candidate_informal: Counter[str] = Counter()
    party_of: dict[tuple[str, str], str] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            votes = int(row["votes"])
            is_informal = row["party"].startswith("Informal")
            if row["vote_type"] == "party":
                if is_informal:
                    informal += votes
                else:
                    party_votes[row["party"]] += votes
            elif is_informal:
                candidate_informal[row["electorate"]] += votes
            else:
                candidates[row["electorate"]][row["candidate"]] = votes
                party_of[row["electorate"], row["candidate"]] = row["party"]
    outcomes = {
        name: decide_electorate(votes, candidate_informal[name])
        for name, votes in candidates.items()
    }
    winners = {name: party_of[name, o.winner] for name, o in outcomes.items() if o.winner}
    return Stage2020(dict(party_votes), informal, outcomes, winners)
