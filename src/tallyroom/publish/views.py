"""The data behind every page, API endpoint and ``--json`` output, as JSON-ready values.

One function per view. The website renders these values, the API serves them as they
are, and the CLI prints them with ``--json``, so the three can never disagree.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from sqlalchemy import Engine, distinct, func, select

from tallyroom import placenames
from tallyroom.analysis.by_electorate import VoteBasis, by_electorate
from tallyroom.analysis.compare import compare
from tallyroom.analysis.ordinary import comparison_basis
from tallyroom.errors import NotFoundError
from tallyroom.forecast.fitted import METHOD, election_year, model_for
from tallyroom.forecast.night import from_tally
from tallyroom.forecast.simulate import project
from tallyroom.model import (
    CANCELLED_POLL_SUFFIX,
    ContestKind,
    Stage,
    UnitKind,
    referendum_slug,
)
from tallyroom.rules.fpp import decide_electorate
from tallyroom.rules.referendum import Base, decide_referendum
from tallyroom.rules.systems import named
from tallyroom.store import schema as t
from tallyroom.tally import (
    ContestTally,
    ElectionTally,
    NoReturnsError,
    UnknownElectionError,
    counted_shares,
    stages,
    tally,
    voting_places,
)

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


class UnknownElectorateError(NotFoundError):
    """The election has no electorate by that name or number."""


def latest_tally(engine: Engine, election: str, stage: Stage | None = None) -> ElectionTally:
    """Tally ``election`` at ``stage``, or at the latest stage with returns."""
    if stage is None:
        found = stages(engine, election)
        if not found:
            tally(engine, election, Stage.OFFICIAL)  # raises the right error
        stage = found[-1]
    return tally(engine, election, stage)


def election_list(engine: Engine) -> list[dict[str, Any]]:
    """Every election in the store with the stages counted, by date."""
    with engine.connect() as conn:
        rows = conn.execute(select(t.election).order_by(t.election.c.date, t.election.c.id)).all()
    return [
        {
            "id": r.id,
            "name": r.name,
            "date": r.date,
            "rules": r.rules,
            "stages": [s.value for s in stages(engine, r.id)],
        }
        for r in rows
    ]


def election_info(engine: Engine, election: str) -> dict[str, Any]:
    """One election: its stages, electorates and referendums."""
    found = [e for e in election_list(engine) if e["id"] == election]
    if not found:
        known = ", ".join(e["id"] for e in election_list(engine)) or "none"
        raise UnknownElectionError(f"no election {election!r} in the store (have: {known})")
    with engine.connect() as conn:
        referendums = conn.execute(
            select(t.contest.c.code, t.contest.c.name)
            .where(
                t.contest.c.election_id == election,
                t.contest.c.kind == ContestKind.REFERENDUM.value,
            )
            .order_by(t.contest.c.id)
        ).all()
        electorates = conn.execute(
            select(func.count()).where(t.electorate.c.election_id == election)
        ).scalar_one()
    return {
        **found[0],
        "electorates": electorates,
        "referendums": [
            {"slug": referendum_slug(code), "name": name} for code, name in referendums
        ],
    }


def colours(engine: Engine, election: str) -> dict[str, str]:
    """Each party's colour as ``#rgb`` or ``#rrggbb``; empty where the source gives none
    or gives something else (so a colour can never carry markup or CSS into a page)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.party.c.name, t.party.c.colour).where(t.party.c.election_id == election)
        ).all()
    return {name: colour if _COLOUR.fullmatch(colour) else "" for name, colour in rows}


def short_names(engine: Engine, election: str) -> dict[str, str]:
    """Each party's name as people say it ("Labour" for "Labour Party"), where the data
    gives one; else its name."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.party.c.name, t.party.c.short_name).where(t.party.c.election_id == election)
        ).all()
    return {name: short or name for name, short in rows}


def positions(engine: Engine, election: str) -> dict[str, float | None]:
    """Each party's place left to right in the House (``None`` where the data gives none)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.party.c.name, t.party.c.position).where(t.party.c.election_id == election)
        ).all()
    return dict(rows)


def electorate_rows(engine: Engine, election: str) -> dict[int, Any]:
    """Each electorate's stored row (code, roll, map position, enrolment) by number."""
    with engine.connect() as conn:
        return {
            row.number: row
            for row in conn.execute(
                select(t.electorate).where(t.electorate.c.election_id == election)
            )
        }


def progress(engine: Engine, election: str, stage: Stage) -> dict[str, Any]:
    """How many reporting places have returns at ``stage``: voting places where the store
    knows them, electorates otherwise."""
    with engine.connect() as conn:
        places = conn.execute(
            select(func.count()).where(
                t.unit.c.election_id == election, t.unit.c.kind == UnitKind.VOTING_PLACE.value
            )
        ).scalar_one()
        kind = UnitKind.VOTING_PLACE if places else UnitKind.ELECTORATE
        expected = (
            places
            or conn.execute(
                select(func.count()).where(t.electorate.c.election_id == election)
            ).scalar_one()
        )
        reported = conn.execute(
            select(func.count(distinct(t.vote_return.c.unit_id)))
            .join(t.unit, t.vote_return.c.unit_id == t.unit.c.id)
            .where(
                t.unit.c.election_id == election,
                t.unit.c.kind == kind.value,
                t.vote_return.c.stage == stage.value,
            )
        ).scalar_one()
    noun = "voting places" if kind is UnitKind.VOTING_PLACE else "electorates"
    return {
        "reported": reported,
        "expected": expected,
        "unit": noun,
        "text": f"{reported:,} of {expected:,} {noun} "
        + ("recounted" if stage is Stage.RECOUNT else "counted"),
    }


def has_place_returns(engine: Engine, election: str, stage: Stage) -> bool:
    """Whether any candidate votes at ``stage`` are stored by voting place or special-vote
    batch (the bundled 2020 election has them by electorate only)."""
    with engine.connect() as conn:
        found = conn.execute(
            select(t.vote_return.c.id)
            .join(t.unit, t.vote_return.c.unit_id == t.unit.c.id)
            .join(t.contest, t.vote_return.c.contest_id == t.contest.c.id)
            .where(
                t.contest.c.election_id == election,
                t.contest.c.kind == ContestKind.CANDIDATE.value,
                t.unit.c.kind.in_([UnitKind.VOTING_PLACE.value, UnitKind.SPECIAL_BATCH.value]),
                t.vote_return.c.stage == stage.value,
            )
            .limit(1)
        ).first()
    return found is not None


def summary(engine: Engine, counted: ElectionTally) -> dict[str, Any]:
    """Party votes and shares, electorate winners, seats, referendums and count progress.
    ``seats`` is ``None`` until some party votes are counted.

    This is also what ``tallyroom results --json`` prints.
    """
    votes = counted.party_votes()
    valid = sum(votes.values())
    return {
        "election": counted.election,
        "name": counted.name,
        "stage": counted.stage.value,
        "progress": progress(engine, counted.election, counted.stage),
        "party_votes": [
            {"party": p, "votes": v, "percent": round(100 * v / valid, 2) if valid else 0.0}
            for p, v in votes.items()
        ],
        "valid_party_votes": valid,
        "informal_party_votes": counted.informal_party_votes(),
        "electorates": electorate_winners(counted),
        "seats": counted.seats().to_dict() if valid else None,
        "referendums": [referendum_data(contest) for contest in counted.referendums.values()],
    }


def electorate_winners(counted: ElectionTally) -> list[dict[str, Any]]:
    """Each counted electorate's winner, runner-up and majority."""
    return [
        {
            "number": number,
            "name": counted.electorate_name(number),
            "roll": counted.electorates[number].roll if number in counted.electorates else "",
            "winner": o.winner,
            "party": counted.candidates[number].party_of.get(o.winner or "", ""),
            "runner_up": o.runner_up,
            "runner_up_party": counted.candidates[number].party_of.get(o.runner_up or "", ""),
            "majority": o.majority,
            "tied": list(o.tied),
        }
        for number, o in counted.outcomes().items()
    ]


def referendum_data(contest: ContestTally) -> dict[str, Any]:
    """A referendum's national counts, shares of all votes and of valid votes, and result."""
    outcome = decide_referendum(contest.counts, contest.informal)
    return {
        "contest": contest.code,
        "slug": referendum_slug(contest.code),
        "name": contest.name,
        "counts": dict(contest.counts),
        "informal": contest.informal,
        "total": outcome.total,
        "percent_of_total": {
            o: outcome.percent(o, Base.TOTAL) for o in [*contest.counts, "informal"]
        },
        "percent_of_valid": {o: outcome.percent(o, Base.VALID) for o in contest.counts},
        "result": outcome.result,
    }


def parties(engine: Engine, counted: ElectionTally) -> dict[str, Any]:
    """Each party's votes and seats, with its electorate MPs and list MPs where known."""
    palette = colours(engine, counted.election)
    if not sum(counted.party_votes().values()):
        return {
            "election": counted.election,
            "stage": counted.stage.value,
            "house_size": None,
            "parties": [],
        }
    result = counted.seats()
    won: dict[str, list[dict[str, Any]]] = {}
    for e in electorate_winners(counted):
        won.setdefault(e["party"], []).append(
            {"name": e["winner"], "electorate": e["name"], "number": e["number"]}
        )
    return {
        "election": counted.election,
        "stage": counted.stage.value,
        "house_size": result.house_size,
        "parties": [
            {
                "party": p.party,
                "colour": palette.get(p.party, ""),
                "votes": p.votes,
                "percent": round(100 * p.share, 2),
                "qualified": p.qualified,
                "electorate_seats": p.electorate,
                "list_seats": p.list_seats,
                "total": p.total,
                "electorate_mps": won.get(p.party, []),
                "list_mps": list(p.list_members) if p.list_members is not None else None,
                "list_short": p.list_short,
            }
            for p in result.parties
        ],
    }


def electorate_list(counted: ElectionTally) -> dict[str, Any]:
    """Every electorate with its winner and majority (none yet where uncounted)."""
    winners = {e["number"]: e for e in electorate_winners(counted)}
    rows = []
    for number, electorate in sorted(counted.electorates.items()):
        contest = counted.candidates.get(number)
        won = winners.get(number, {})
        rows.append(
            {
                "number": number,
                "name": electorate.name,
                "roll": electorate.roll,
                "winner": won.get("winner"),
                "party": won.get("party", ""),
                "majority": won.get("majority"),
                "valid": contest.valid if contest else 0,
                "informal": contest.informal if contest else 0,
            }
        )
    return {"election": counted.election, "stage": counted.stage.value, "electorates": rows}


def electorate_number(counted: ElectionTally, which: str | int) -> int:
    """The number of the electorate named, numbered or slugged ``which`` (macrons, case
    and "Mt"/"Mount" aside); an unknown one raises an error suggesting the nearest names."""
    names = {number: e.name for number, e in counted.electorates.items()}
    text = str(which).strip()
    found = placenames.find(names, text)
    if found is not None:
        return found
    if not names:
        raise UnknownElectorateError(f"{counted.election} has no electorates in the store")
    close = placenames.nearest(names, text)
    hint = f"did you mean {' or '.join(close)}? Or give" if close else "give"
    raise UnknownElectorateError(
        f"{counted.election} has no electorate {text!r}; {hint} a name or a number "
        f"{min(names)}-{max(names)}"
    )


def cancelled_polls(engine: Engine, election: str) -> set[int]:
    """The electorates of ``election`` whose candidate poll was cancelled (Port Waikato
    2023): they have party votes and no candidate result."""
    with engine.connect() as conn:
        names = conn.execute(
            select(t.contest.c.electorate, t.contest.c.name).where(
                t.contest.c.election_id == election, t.contest.c.kind == ContestKind.CANDIDATE.value
            )
        ).all()
    return {number for number, name in names if name.endswith(CANCELLED_POLL_SUFFIX)}


def _no_result(engine: Engine, counted: ElectionTally, number: int) -> str:
    """Why electorate ``number`` has no candidate result at ``counted``'s stage, in words."""
    if number in cancelled_polls(engine, counted.election):
        return (
            "The candidate poll was cancelled, so no candidate votes were counted: the "
            "electorate has no result and its seat is vacant until a by-election fills it. "
            "Its party votes count as everywhere else."
        )
    return "No candidate votes counted at this stage yet."


def electorate(engine: Engine, counted: ElectionTally, which: str | int) -> dict[str, Any]:
    """One electorate: candidates, votes, winner, majority, party votes and voting places.

    This is also what ``tallyroom electorate --json`` prints.
    """
    number = electorate_number(counted, which)
    name, roll = counted.electorates[number].name, counted.electorates[number].roll
    places = [
        {
            "place": p.unit,
            "kind": p.kind.value,
            "count_type": p.count_type,
            "valid": p.valid,
            "informal": p.informal,
        }
        for p in voting_places(engine, counted.election, counted.stage, number)
    ]
    party = counted.party_by_electorate.get(number)
    party_votes = []
    if party is not None and party.valid:
        party_votes = [
            {"party": p, "votes": v, "percent": round(100 * v / party.valid, 2)}
            for p, v in sorted(party.counts.items(), key=lambda i: (-i[1], i[0]))
        ]
    data: dict[str, Any] = {
        "election": counted.election,
        "number": number,
        "name": name,
        "roll": roll,
        "stage": counted.stage.value,
        "candidates": [],
        "valid": 0,
        "informal": 0,
        "winner": None,
        "runner_up": None,
        "majority": None,
        "party_votes": party_votes,
        "voting_places": places,
    }
    contest = counted.candidates.get(number)
    if contest is None or not contest.counts:
        return {**data, "no_result": _no_result(engine, counted, number)}
    outcome = decide_electorate(contest.counts, contest.informal)  # this one, not all 72
    data.update(
        candidates=[
            {
                "candidate": c,
                "party": contest.party_of.get(c, ""),
                "votes": v,
                "percent": round(100 * v / contest.valid, 2),
            }
            for c, v in sorted(contest.counts.items(), key=lambda i: (-i[1], i[0]))
        ],
        valid=contest.valid,
        informal=contest.informal,
        winner=outcome.winner,
        runner_up=outcome.runner_up,
        majority=outcome.majority,
    )
    return data


def seats(counted: ElectionTally) -> dict[str, Any]:
    """The seat allocation: the JSON of ``tallyroom seats --json`` and ``allocate --json``."""
    if not sum(counted.party_votes().values()):
        raise NoReturnsError(
            f"{counted.election} has no party votes counted at the {counted.stage} stage yet"
        )
    return counted.seats().to_dict()


def referendums(counted: ElectionTally) -> list[dict[str, Any]]:
    """Every referendum's national result at this stage."""
    return [referendum_data(contest) for contest in counted.referendums.values()]


def referendum(
    engine: Engine,
    counted: ElectionTally,
    slug: str,
    basis: VoteBasis = VoteBasis.ORDINARY,
) -> dict[str, Any]:
    """A referendum nationally and by general electorate, with the vote basis stated.

    The by-electorate part is what ``tallyroom referendum --json`` prints.
    """
    table = by_electorate(engine, counted.election, slug, basis, Base.TOTAL, counted.stage)
    return {
        "election": counted.election,
        "stage": counted.stage.value,
        "national": referendum_data(counted.referendums[table.contest]),
        "by_electorate": asdict(table),
    }


def comparison(engine: Engine, election: str) -> dict[str, Any]:
    """Election night (or, without one, the official count's ordinary votes alone) against
    the official count: what ``tallyroom compare --json`` prints."""
    basis = comparison_basis(engine, election)
    if basis is None:
        counted = stages(engine, election)
        raise NoReturnsError(
            f"{election} needs preliminary and official returns, or official returns that "
            f"separate special votes, to compare (has: {', '.join(counted) or 'none'})"
        )
    return asdict(compare(engine, election, ordinary_only=basis == "ordinary"))


def projection(
    engine: Engine,
    election: str,
    *,
    specials: float | None = None,
    draws: int = 100_000,
    seed: int = 0,
    counted: ElectionTally | None = None,
) -> dict[str, Any]:
    """The projected final count from election night's ordinary votes counted so far:
    what ``tallyroom project --json`` prints and ``…/preliminary/projection.json`` serves.
    ``counted`` is election night's tally when the caller has it already."""
    counted = counted or tally(engine, election, Stage.PRELIMINARY)
    model = model_for(election)
    count = from_tally(
        counted,
        election_year(election),
        named(counted.rules),
        counted_shares(engine, election, Stage.PRELIMINARY),
    )
    result = project(count, model, specials=specials, draws=draws, seed=seed).to_dict()
    return {**result, "method": METHOD, "progress": progress(engine, election, Stage.PRELIMINARY)}
