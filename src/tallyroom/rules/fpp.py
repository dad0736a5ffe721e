"""First past the post: the winner of one electorate's candidate vote and the majority.

Informal votes are counted beside the candidates, never as one. A tie for first place is
reported with the tied candidates; New Zealand settles it after a judicial recount, by
lot, so a seeded ``lot`` may be passed to draw it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from tallyroom.rules.errors import InvalidVotesError, require_count


@dataclass(frozen=True)
class ElectorateOutcome:
    """Who won an electorate and by how much.

    ``winner`` is ``None`` when the first place is tied and no lot was drawn; ``tied``
    then names the candidates level on the most votes. ``majority`` is the winner's lead
    over the runner-up (zero in a tie).
    """

    winner: str | None
    runner_up: str | None
    majority: int
    valid: int
    informal: int
    tied: tuple[str, ...] = ()
    by_lot: bool = False

    @property
    def total(self) -> int:
        """Valid plus informal votes."""
        return self.valid + self.informal


def decide_electorate(
    votes: Mapping[str, int], informal: int = 0, *, lot: random.Random | None = None
) -> ElectorateOutcome:
    """The winner (most votes), runner-up and majority of one electorate."""
    for name, count in [*votes.items(), ("informal", informal)]:
        require_count(f"votes for {name!r}", count)
    if not votes:
        raise InvalidVotesError("an electorate needs at least one candidate")
    ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0]))
    top = ranked[0][1]
    tied = tuple(name for name, count in ranked if count == top)
    valid = sum(votes.values())
    if len(tied) > 1:
        if lot is None:
            return ElectorateOutcome(None, None, 0, valid, informal, tied)
        winner = lot.choice(tied)
        runner_up = next(name for name in tied if name != winner)
        return ElectorateOutcome(winner, runner_up, 0, valid, informal, tied, by_lot=True)
    if len(ranked) == 1:
        return ElectorateOutcome(ranked[0][0], None, top, valid, informal)
    runner_up, second = ranked[1]
    return ElectorateOutcome(ranked[0][0], runner_up, top - second, valid, informal)
