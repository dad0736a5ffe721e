"""Disproportionality and fragmentation of an election result.

All take vote and seat shares per party (fractions that each sum to 1) and return
percentages or numbers of parties, as political scientists report them:

* Gallagher (least squares) index: √(½ Σ (vᵢ - sᵢ)²) × 100;
* Loosemore–Hanby index: ½ Σ |vᵢ - sᵢ| × 100;
* effective number of parties (Laakso–Taagepera): 1 / Σ pᵢ², by votes and by seats;
* wasted votes: the share of party votes for parties that won no seat.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tallyroom.rules.mmp import MMPResult


@dataclass(frozen=True)
class Indices:
    """The standard measures for one election result."""

    gallagher: float
    loosemore_hanby: float
    enp_votes: float
    enp_seats: float
    wasted_votes: float


def shares(counts: Mapping[str, int]) -> dict[str, float]:
    """Each party's share of the total."""
    total = sum(counts.values())
    return {p: c / total for p, c in counts.items()} if total else {p: 0.0 for p in counts}


def gallagher(votes: Mapping[str, float], seats: Mapping[str, float]) -> float:
    """Least-squares index, in percentage points."""
    parties = set(votes) | set(seats)
    return 100 * math.sqrt(sum((votes.get(p, 0) - seats.get(p, 0)) ** 2 for p in parties) / 2)


def loosemore_hanby(votes: Mapping[str, float], seats: Mapping[str, float]) -> float:
    """Half the sum of absolute differences, in percentage points."""
    parties = set(votes) | set(seats)
    return 100 * sum(abs(votes.get(p, 0) - seats.get(p, 0)) for p in parties) / 2


def effective_parties(proportions: Mapping[str, float]) -> float:
    """Laakso–Taagepera effective number of parties."""
    concentration = sum(p * p for p in proportions.values())
    return 1 / concentration if concentration else 0.0


def indices(result: MMPResult) -> Indices:
    """All the measures for an MMP allocation (party votes against total seats)."""
    votes = shares({p.party: p.votes for p in result.parties})
    seats = shares({p.party: p.total for p in result.parties})
    wasted = sum(share for party, share in votes.items() if seats[party] == 0)
    return Indices(
        gallagher=gallagher(votes, seats),
        loosemore_hanby=loosemore_hanby(votes, seats),
        enp_votes=effective_parties(votes),
        enp_seats=effective_parties(seats),
        wasted_votes=100 * wasted,
    )
