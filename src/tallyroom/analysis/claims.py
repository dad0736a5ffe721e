"""Check statements of the kind results reports make against the stored figures.

A claims file (YAML) names an election and lists claims; each claim has ``text`` and one
of these shapes:

``referendum, electorate, percent`` (+ ``option``, default the first, e.g. Yes)
    "Wellington Central voted 72 % yes": the option's share in one general electorate.
``referendum, in_favour``
    "14 of 65 electorates voted yes": how many general electorates the option carried.
``electorate, winner_party``
    "National won Northland": the party of the electorate's winner.
``referendum, in_favour_won_by, electorates``
    "only Northland backed a National candidate among the yes electorates": which of the
    electorates the option carried were won by that party.

A claim may fix ``stage``, ``votes`` (ordinary, special, all) and ``base`` (total,
valid); otherwise it is read as published: official, ordinary votes, % of all votes. Each
claim is reported as confirmed, off by how much, or contradicted, with every stage and
vote basis under which it would hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tallyroom.analysis.by_electorate import VoteBasis, by_electorate
from tallyroom.analysis.crosstab import crosstab
from tallyroom.errors import InvalidError
from tallyroom.figures import points
from tallyroom.model import Stage
from tallyroom.results import ElectionTally
from tallyroom.rules.referendum import Base

TallyAt = Callable[[Stage], ElectionTally]
"""an election's tally at a stage (raising a ``LookupError`` where it has no returns)"""


class ClaimsFileError(InvalidError):
    """A claims file that cannot be read; the message names the file and claim."""


@dataclass(frozen=True)
class Context:
    """Under which figures a claim is read."""

    stage: Stage = Stage.OFFICIAL
    votes: VoteBasis = VoteBasis.ORDINARY
    base: Base = Base.TOTAL

    def describe(self, dimensions: tuple[str, ...]) -> str:
        """The context in words, naming only the ``dimensions`` a claim depends on."""
        words = {
            "stage": f"{self.stage} count",
            "votes": f"{self.votes} votes",
            "base": f"% of {self.base} votes",
        }
        return ", ".join(words[d] for d in ("stage", "votes", "base") if d in dimensions)


@dataclass(frozen=True)
class Verdict:
    """What the figures say about one claim."""

    text: str
    verdict: str
    """confirmed, off, or contradicted"""
    found: str
    context: Context
    dimensions: tuple[str, ...]
    """which of stage, votes and base the claim depends on"""
    holds_under: tuple[Context, ...] = field(default=())


def load_claims(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """The election id and the claims of a claims file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ClaimsFileError(f"{path}: {error}") from None
    if (
        not isinstance(data, dict)
        or "election" not in data
        or not isinstance(data.get("claims"), list)
    ):
        raise ClaimsFileError(f"{path}: expected 'election:' and a list under 'claims:'")
    for number, claim in enumerate(data["claims"], 1):
        if not isinstance(claim, dict) or "text" not in claim:
            raise ClaimsFileError(f"{path}, claim {number}: each claim needs a 'text'")
    return str(data["election"]), data["claims"]


def check(tally_at: TallyAt, claims: list[dict[str, Any]]) -> list[Verdict]:
    """A verdict for each claim, from the election's tallies as ``tally_at`` gives them."""
    return [_check_one(tally_at, claim, number) for number, claim in enumerate(claims, 1)]


def _check_one(tally_at: TallyAt, claim: dict[str, Any], number: int) -> Verdict:
    try:
        stated = Context(
            Stage(claim.get("stage", "official")),
            VoteBasis(claim.get("votes", "ordinary")),
            Base(claim.get("base", "total")),
        )
    except ValueError as error:
        raise ClaimsFileError(f"claim {number} ({claim['text']!r}): {error}") from None
    evaluate, dimensions = _evaluator(tally_at, claim, number)
    holds, found = evaluate(stated)
    choices = {"stage": list(Stage), "votes": list(VoteBasis), "base": list(Base)}
    options = [choices[d] if d in dimensions else [getattr(stated, d)] for d in choices]
    alternatives = tuple(
        context
        for context in itertools.starmap(Context, itertools.product(*options))
        if context != stated and _holds(evaluate, context)
    )
    if holds:
        verdict = "confirmed"
    elif "percent" in claim:
        verdict = "off"
    else:
        verdict = "contradicted"
    return Verdict(claim["text"], verdict, found, stated, dimensions, alternatives)


def _holds(evaluate, context: Context) -> bool:
    try:
        return evaluate(context)[0]
    except LookupError:  # e.g. no returns at that stage
        return False


def _evaluator(tally_at: TallyAt, claim: dict[str, Any], number: int):
    referendum = claim.get("referendum")
    if referendum and "percent" in claim and "electorate" in claim:
        wanted = float(claim["percent"])
        digits = len(str(claim["percent"]).partition(".")[2])

        def percent(context: Context) -> tuple[bool, str]:
            result = by_electorate(
                tally_at(Stage.OFFICIAL), referendum, context.votes, context.base
            )
            option = claim.get("option", result.options[0])
            row = _row(result.rows, claim["electorate"], number)
            total = sum(row.counts.values()) + (row.informal if context.base is Base.TOTAL else 0)
            value = 100 * row.counts[option] / total
            shown = round(value, digits)
            if shown == wanted:
                return True, f"{option} {value:.{max(digits, 1)}f} %"
            off = f"{points(shown - wanted, digits)} than claimed"
            return False, f"{option} {value:.{max(digits, 1)}f} % ({off})"

        return percent, ("votes", "base")
    if referendum and "in_favour" in claim:

        def in_favour(context: Context) -> tuple[bool, str]:
            result = by_electorate(
                tally_at(Stage.OFFICIAL), referendum, context.votes, context.base
            )
            return result.in_favour == int(
                claim["in_favour"]
            ), f"{result.in_favour} of {len(result.rows)}"

        return in_favour, ("votes",)
    if referendum and "in_favour_won_by" in claim:
        party, named = claim["in_favour_won_by"], sorted(claim.get("electorates", []))

        def won_by(context: Context) -> tuple[bool, str]:
            table = crosstab(
                tally_at(Stage.OFFICIAL),
                tally_at(context.stage),
                referendum,
                context.votes,
                context.base,
            )
            found = sorted(
                r.name for r in table.rows if r.result == table.option and r.winner_party == party
            )
            return found == named, ", ".join(found) or "none"

        return won_by, ("stage", "votes")
    if "electorate" in claim and "winner_party" in claim:

        def winner(context: Context) -> tuple[bool, str]:
            counted = tally_at(context.stage)
            number_ = next(
                (n for n, e in counted.electorates.items() if e.name == claim["electorate"]),
                None,
            )
            if number_ is None or number_ not in counted.outcomes():
                raise LookupError(claim["electorate"])
            outcome = counted.outcomes()[number_]
            party = counted.candidates[number_].party_of.get(outcome.winner or "", "")
            return party == claim["winner_party"], f"{outcome.winner} ({party})"

        return winner, ("stage",)
    raise ClaimsFileError(f"claim {number} ({claim['text']!r}) is not one of the known shapes")


def _row(rows, name: str, number: int):
    for row in rows:
        if row.name == name:
            return row
    raise ClaimsFileError(f"claim {number}: no general electorate named {name!r}")
