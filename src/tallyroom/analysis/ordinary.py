"""The official count on its ordinary votes alone: what election night would have shown.

Where no election-night (preliminary) count is stored but the official returns say which
votes were special (New Zealand 2023: party and candidate votes by voting place and
special-vote batch), the ordinary votes of the official count are the nearest thing to
election night: the same votes, recounted. Set against the whole official count they
show what the special votes changed. It is labelled "ordinary votes only (official
count)", never "election night": the figures are the official count's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace

from tallyroom.analysis.specials import NoSpecialSplitError
from tallyroom.model import CountType, Stage
from tallyroom.results import ContestTally, ElectionTally

ORDINARY_LABEL = "ordinary votes only (official count)"
"""what the ordinary-votes view is called wherever it is shown"""


def has_special_split(counted: ElectionTally) -> bool:
    """Whether ``counted``'s party votes are stored as ordinary and special returns, so
    that its ordinary votes can be told apart."""
    return any(p.count_type.is_special for p in counted.parts("party"))


def comparison_basis(stages: Iterable[Stage], official: Callable[[], ElectionTally]) -> str | None:
    """What an election's official count is compared with, given the ``stages`` it has
    returns for and its ``official`` tally (asked for only if needed): ``preliminary``
    (election night) where that is stored, else ``ordinary`` where the official returns
    separate special votes; ``None`` if neither."""
    counted = set(stages)
    if Stage.OFFICIAL not in counted:
        return None
    if Stage.PRELIMINARY in counted:
        return Stage.PRELIMINARY.value
    return "ordinary" if has_special_split(official()) else None


def ordinary_votes(counted: ElectionTally) -> ElectionTally:
    """``counted`` with its special votes left out: every party-vote and candidate-vote
    contest summed over its ordinary returns (ordinary, advance and election-day votes).

    Referendums are left out (the comparison splits them itself). Raises
    :class:`NoSpecialSplitError` if an electorate's returns do not separate special votes
    (a return of ``all`` votes), since its ordinary votes are then unknown.
    """
    party = _ordinary(counted, "party", counted.party_by_electorate)
    candidates = {
        number: _ordinary(counted, contest.code, {number: contest})[number]
        for number, contest in counted.candidates.items()
    }
    return replace(counted, party_by_electorate=party, candidates=candidates, referendums={})


def _ordinary(
    counted: ElectionTally, code: str, contests: dict[int, ContestTally]
) -> dict[int, ContestTally]:
    """The ordinary votes of contest ``code`` in each electorate of ``contests``."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    informal: dict[int, int] = defaultdict(int)
    for part in counted.parts(code):
        if part.electorate not in contests or part.count_type.is_special:
            continue
        if part.count_type is CountType.ALL:
            raise NoSpecialSplitError(
                f"{counted.election} {code}: electorate {part.electorate}'s returns count all "
                "votes together, so its ordinary votes are not known"
            )
        into = counts[part.electorate]
        for choice, votes in part.counts.items():
            into[choice] = into.get(choice, 0) + votes
        informal[part.electorate] += part.informal
    return {
        number: replace(
            contest,
            counts={c: counts[number].get(c, 0) for c in contest.counts},
            informal=informal[number],
        )
        for number, contest in contests.items()
    }
