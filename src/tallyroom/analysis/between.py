"""What changed from one election to the next: party-vote swing, seats, electorates.

Both elections are read at their official count (the furthest stage counted where there
is none). The swing is a party's change in share of the valid party votes, in
percentage points, nationally and in every electorate the two elections share. An
electorate is the same electorate when both elections give its number the same name:
New Zealand's 2020 and 2023 elections used the same boundaries, so all 72 match. A
party renamed between the two is matched by :data:`RENAMED`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tallyroom.model import Stage
from tallyroom.results import ContestTally, ElectionTally

RENAMED = {"Māori Party": "Te Pāti Māori"}
"""a party's earlier name → its later one: the party shown as the Māori Party in the
2020 results stood as Te Pāti Māori in 2023"""


@dataclass(frozen=True)
class PartySwing:
    """One party nationally at both elections (named as at the later one)."""

    party: str
    votes: tuple[int, int]
    percent: tuple[float, float]
    """share of the valid party votes at each election"""
    seats: tuple[int, int]

    @property
    def swing(self) -> float:
        """Later minus earlier share, in percentage points."""
        return round(self.percent[1] - self.percent[0], 2)

    @property
    def seat_change(self) -> int:
        """Seats gained (positive) or lost (negative)."""
        return self.seats[1] - self.seats[0]


@dataclass(frozen=True)
class ElectorateSwing:
    """One electorate's party-vote shares at both elections, and who won it."""

    number: int
    name: str
    percent: dict[str, tuple[float, float]]
    """party → share of the electorate's valid party votes at each election"""
    winner_party: tuple[str | None, str | None]
    """the winning candidate's party at each election (``None``: no candidate result;
    ``""``: an independent)"""

    def swing(self, party: str) -> float:
        """``party``'s later minus earlier share here, in percentage points."""
        before, after = self.percent.get(party, (0.0, 0.0))
        return round(after - before, 2)


@dataclass(frozen=True)
class PartyChangeOfSeat:
    """An electorate won by a different party at the later election."""

    number: int
    name: str
    before: tuple[str, str, int]
    """winner, party and majority at the earlier election"""
    after: tuple[str, str, int]


@dataclass(frozen=True)
class BetweenElections:
    """Everything that changed from ``elections[0]`` to ``elections[1]``."""

    elections: tuple[str, str]
    names: tuple[str, str]
    stages: tuple[Stage, Stage]
    valid_party_votes: tuple[int, int]
    house_size: tuple[int, int]
    parties: tuple[PartySwing, ...]
    """largest later share first"""
    electorates: tuple[ElectorateSwing, ...]
    """the electorates both elections share, by number"""
    changed: tuple[PartyChangeOfSeat, ...]
    """electorates whose winner's party changed"""
    no_result: tuple[tuple[str, str], ...]
    """(election, electorate) with no candidate result at its election (a poll
    cancelled), so not compared"""
    unmatched: tuple[str, ...]
    """electorates of either election that the other does not have (boundaries redrawn)"""

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (``tallyroom compare EARLIER LATER --json`` and the API),
        with each party's swing and seat change and each electorate's swing per party."""
        data = asdict(self)
        for row, party in zip(data["parties"], self.parties, strict=True):
            row.update(swing=party.swing, seat_change=party.seat_change)
        for row, electorate in zip(data["electorates"], self.electorates, strict=True):
            row["swing"] = {p: electorate.swing(p) for p in electorate.percent}
        return data


def compare_elections(
    first: ElectionTally, second: ElectionTally, renamed: Mapping[str, str] = RENAMED
) -> BetweenElections:
    """Compare an earlier election's count ``first`` with a later one's, ``second`` (each
    at its :func:`final_stage`)."""
    before = _renamed(first.party_votes(), renamed)
    after = second.party_votes()
    totals = (sum(before.values()), sum(after.values()))
    seats = [first.seats(), second.seats()]
    held = (_renamed(seats[0].seats(), renamed), seats[1].seats())
    names = sorted(set(before) | set(after), key=lambda p: (-after.get(p, 0), -before.get(p, 0), p))
    parties = tuple(
        PartySwing(
            p,
            (before.get(p, 0), after.get(p, 0)),
            (_share(before.get(p, 0), totals[0]), _share(after.get(p, 0), totals[1])),
            (held[0].get(p, 0), held[1].get(p, 0)),
        )
        for p in names
    )
    shared = sorted(
        n for n in set(first.electorates) & set(second.electorates)
        if first.electorates[n].name == second.electorates[n].name
    )  # fmt: skip
    unmatched = tuple(
        f"{t.election}: {t.electorates[n].name}"
        for t in (first, second)
        for n in sorted(t.electorates)
        if n not in shared
    )
    winners = [_winners(t, renamed if t is first else {}) for t in (first, second)]
    electorates = tuple(
        ElectorateSwing(
            n,
            second.electorates[n].name,
            _electorate_shares(
                first.party_by_electorate.get(n), second.party_by_electorate.get(n), renamed
            ),
            (_party(winners[0].get(n)), _party(winners[1].get(n))),
        )
        for n in shared
    )
    changed = tuple(
        PartyChangeOfSeat(n, second.electorates[n].name, winners[0][n], winners[1][n])
        for n in shared
        if n in winners[0] and n in winners[1] and winners[0][n][1] != winners[1][n][1]
    )
    no_result = tuple(
        (t.election, t.electorates[n].name)
        for t, won in zip((first, second), winners, strict=True)
        for n in shared
        if n not in won
    )
    return BetweenElections(
        elections=(first.election, second.election),
        names=(first.name, second.name),
        stages=(first.stage, second.stage),
        valid_party_votes=totals,
        house_size=(seats[0].house_size, seats[1].house_size),
        parties=parties,
        electorates=electorates,
        changed=changed,
        no_result=no_result,
        unmatched=unmatched,
    )


def final_stage(counted: Sequence[Stage]) -> Stage:
    """Of an election's ``counted`` stages, the one to compare: the official count, or the
    furthest stage counted where there is none yet (with nothing counted, the official
    stage: its tally says what is missing)."""
    return Stage.OFFICIAL if Stage.OFFICIAL in counted or not counted else counted[-1]


def _share(votes: int, total: int) -> float:
    return round(100 * votes / total, 2) if total else 0.0


def _renamed(counts: Mapping[str, int], renamed: Mapping[str, str]) -> dict[str, int]:
    """``counts`` with parties under their later names."""
    return {renamed.get(p, p): v for p, v in counts.items()}


def _electorate_shares(
    first: ContestTally | None, second: ContestTally | None, renamed: Mapping[str, str]
) -> dict[str, tuple[float, float]]:
    """Each party's share of one electorate's valid party votes at both elections."""
    before = _renamed(first.counts, renamed) if first else {}
    after = second.counts if second else {}
    totals = (sum(before.values()), sum(after.values()))
    return {
        p: (_share(before.get(p, 0), totals[0]), _share(after.get(p, 0), totals[1]))
        for p in sorted(set(before) | set(after), key=lambda p: -after.get(p, 0))
    }


def _winners(counted: ElectionTally, renamed: Mapping[str, str]) -> dict[int, tuple[str, str, int]]:
    """Each electorate's winner, their party (later name) and majority."""
    found = {}
    for number, outcome in counted.outcomes().items():
        winner = outcome.winner or ""
        party = counted.candidates[number].party_of.get(winner, "")
        found[number] = (winner, renamed.get(party, party), outcome.majority)
    return found


def _party(won: tuple[str, str, int] | None) -> str | None:
    return None if won is None else won[1]
