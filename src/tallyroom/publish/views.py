"""The data behind every page, API endpoint and ``--json`` output, as the documents of
:mod:`tallyroom.publish.schemas`.

One function per view, from the tallies of :mod:`tallyroom.results`. Each returns its
schema model, so a view cannot produce a shape its model does not declare; the site
serialises it once (:meth:`~tallyroom.publish.site.Site.document`), and the website
renders, the API serves and ``--json`` prints that same serialisation, so the three can
never disagree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection
from typing import TypeVar

from tallyroom import placenames
from tallyroom.analysis.between import compare_elections
from tallyroom.analysis.by_electorate import VoteBasis, by_electorate
from tallyroom.analysis.compare import compare
from tallyroom.analysis.split_votes import SplitTables
from tallyroom.errors import NotFoundError
from tallyroom.forecast.fitted import METHOD, election_year, model_for
from tallyroom.forecast.night import from_tally
from tallyroom.forecast.simulate import project
from tallyroom.model import Party, Stage, UnitKind, referendum_slug
from tallyroom.names import display_name
from tallyroom.publish import schemas as doc
from tallyroom.results import (
    ContestTally,
    ElectionRecord,
    ElectionTally,
    NoReturnsError,
    Progress,
    UnknownElectionError,
)
from tallyroom.results.counting import district_label
from tallyroom.rules.fpp import decide_electorate
from tallyroom.rules.mmp import MMPResult
from tallyroom.rules.referendum import Base, decide_referendum
from tallyroom.rules.systems import SYSTEMS, named

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


class UnknownElectorateError(NotFoundError):
    """The election has no electorate by that name or number."""


def election_list(records: list[ElectionRecord]) -> list[doc.ElectionBrief]:
    """Every election in the store with the stages counted, by date."""
    return [
        doc.ElectionBrief(
            id=r.id,
            name=r.name,
            date=str(r.date),
            rules=r.rules,
            stages=[s.value for s in r.stages],
        )
        for r in records
    ]


def find_election(records: list[ElectionRecord], election: str) -> ElectionRecord:
    """The record of ``election``; an unknown one raises an error naming those stored."""
    for record in records:
        if record.id == election:
            return record
    known = ", ".join(r.id for r in records) or "none"
    raise UnknownElectionError(f"no election {election!r} in the store (have: {known})")


def election_info(
    record: ElectionRecord, electorates: int, referendums: list[tuple[str, str]]
) -> doc.ElectionInfo:
    """One election: its stages, how many electorates, and its referendums (code, name)."""
    return doc.ElectionInfo(
        **dict(election_list([record])[0]),
        electorates=electorates,
        referendums=[
            doc.ReferendumRef(slug=referendum_slug(code), name=name) for code, name in referendums
        ],
    )


def colours(parties: list[Party]) -> dict[str, str]:
    """Each party's colour as ``#rgb`` or ``#rrggbb``; empty where the source gives none
    or gives something else (so a colour can never carry markup or CSS into a page)."""
    return {p.name: p.colour if _COLOUR.fullmatch(p.colour) else "" for p in parties}


def short_names(parties: list[Party]) -> dict[str, str]:
    """Each party's name as people say it ("Labour" for "Labour Party"), where the data
    gives one; else its name."""
    return {p.name: p.short_name or p.name for p in parties}


def positions(parties: list[Party]) -> dict[str, float | None]:
    """Each party's place left to right in the House (``None`` where the data gives none)."""
    return {p.name: p.position for p in parties}


def district_word(rules: str) -> str:
    """What the law of rule set ``rules`` calls its districts, in a count's progress."""
    return "electorates" if rules in SYSTEMS else "Wahlkreise"


def progress(found: Progress, stage: Stage, districts: str = "electorates") -> doc.Progress:
    """How many reporting places have returns at ``stage``, in figures and words
    (``districts``: what the law calls its electorates, "Wahlkreise" in Germany)."""
    noun = "voting places" if found.kind is UnitKind.VOTING_PLACE else districts
    if stage is Stage.BY_ELECTION:
        text = f"the official count with {found.reported} by-election result(s)"
        return doc.Progress(reported=found.reported, expected=found.expected, unit=noun, text=text)
    return doc.Progress(
        reported=found.reported,
        expected=found.expected,
        unit=noun,
        text=f"{found.reported:,} of {found.expected:,} {noun} "
        + ("recounted" if stage is Stage.RECOUNT else "counted"),
    )


def summary(counted: ElectionTally) -> doc.Summary:
    """Party votes and shares, electorate winners, seats, referendums and count progress.
    ``seats`` is ``None`` until some party votes are counted.

    This is also what ``tallyroom results --json`` prints.
    """
    votes = counted.party_votes()
    valid = sum(votes.values())
    found = doc.Summary(
        election=counted.election,
        name=counted.name,
        stage=counted.stage.value,
        progress=progress(counted.progress(), counted.stage, district_word(counted.rules)),
        party_votes=[
            doc.PartyVote(party=p, votes=v, percent=round(100 * v / valid, 2) if valid else 0.0)
            for p, v in votes.items()
        ],
        valid_party_votes=valid,
        informal_party_votes=counted.informal_party_votes(),
        electorates=electorate_winners(counted),
        seats=seat_allocation(counted) if valid else None,
        referendums=referendums(counted),
    )
    if counted.regional:
        found = found.model_copy(update={"regions": region_votes(counted)})
    return _with_gaps(found, counted)


STAGE_WORDS = {
    Stage.PRELIMINARY: "election-night",
    Stage.OFFICIAL: "official count's",
    Stage.RECOUNT: "recount's",
    Stage.BY_ELECTION: "by-election",
}
"""how a stage's returns are named in a sentence"""


def incomplete(counted: ElectionTally) -> doc.Incomplete | None:
    """The candidates ``counted``'s returns leave out, or ``None`` where none are: every
    document built from candidate votes says so, rather than count them as zero."""
    missing = counted.missing_candidates()
    if not missing:
        return None
    left_out = [party or "no party" for found in missing.values() for _, party in found]
    standing = sum(len(found) for found in counted.standing().values())
    parties = Counter(left_out).most_common()
    named = [f"{n} {party}" for party, n in parties[:2]]
    if len(parties) > 2:
        rest = sum(n for _, n in parties[2:])
        named.append(f"{rest} of {len(parties) - 2} other parties")
    statement = (
        f"The {STAGE_WORDS[counted.stage]} returns leave out {len(left_out)} of the "
        f"{standing} candidates, in {len(missing)} electorates ({', '.join(named)}): their "
        "votes are unknown, not zero. In those electorates the candidates' shares are of "
        "the votes counted for the candidates listed, and the winner and majority are "
        "among those candidates only."
    )
    return doc.Incomplete(
        statement=statement,
        candidates_missing=len(left_out),
        candidates_standing=standing,
        electorates=[
            doc.MissingCandidates(
                number=number,
                name=counted.electorate_name(number),
                candidates=[doc.CandidateRef(name=n, party=p) for n, p in found],
            )
            for number, found in missing.items()
        ],
    )


_Gapped = TypeVar("_Gapped", doc.Summary, doc.Electorates, doc.Comparison)


def _with_gaps(document: _Gapped, counted: ElectionTally | None) -> _Gapped:
    """``document`` with the candidates ``counted`` leaves out, where there are any."""
    gaps = incomplete(counted) if counted is not None else None
    return document.model_copy(update={"incomplete": gaps}) if gaps else document


def electorate_winners(counted: ElectionTally) -> list[doc.ElectorateWinner]:
    """Each counted electorate's winner, runner-up and majority."""
    return [
        doc.ElectorateWinner(
            number=number,
            name=counted.electorate_name(number),
            roll=counted.electorates[number].roll if number in counted.electorates else "",
            winner=o.winner,
            party=counted.candidates[number].party_of.get(o.winner or "", ""),
            runner_up=o.runner_up,
            runner_up_party=counted.candidates[number].party_of.get(o.runner_up or "", ""),
            majority=o.majority,
            tied=list(o.tied),
        )
        for number, o in counted.outcomes().items()
    ]


def referendum_data(contest: ContestTally) -> doc.ReferendumResult:
    """A referendum's national counts, shares of all votes and of valid votes, and result."""
    outcome = decide_referendum(contest.counts, contest.informal)
    return doc.ReferendumResult(
        contest=contest.code,
        slug=referendum_slug(contest.code),
        name=contest.name,
        counts=dict(contest.counts),
        informal=contest.informal,
        total=outcome.total,
        percent_of_total={o: outcome.percent(o, Base.TOTAL) for o in [*contest.counts, "informal"]},
        percent_of_valid={o: outcome.percent(o, Base.VALID) for o in contest.counts},
        result=outcome.result,
    )


def seat_allocation(counted: ElectionTally) -> doc.Seats | doc.RegionalSeats:
    """The seats by the election's law: a flat rule set's, or a regional pipeline's."""
    if counted.regional:
        return doc.RegionalSeats.model_validate(counted.regional_seats().to_dict())
    return seats_document(counted.seats())


def region_votes(counted: ElectionTally) -> list[doc.RegionVotes]:
    """Party votes per region (Land), in the regions' order."""
    by_region = counted.region_votes()
    order = sorted(
        by_region, key=lambda r: counted.regions[r].number if r in counted.regions else 0
    )
    return [
        doc.RegionVotes(
            region=name,
            party_votes=dict(sorted(by_region[name].items(), key=lambda i: (-i[1], i[0]))),
            valid=sum(by_region[name].values()),
        )
        for name in order
    ]


def seats_document(result: MMPResult) -> doc.Seats:
    """An allocation as the seats document (``tallyroom seats --json``, ``allocate
    --json``): seats by party, then every party's row."""
    holders = [p for p in result.parties if p.total]
    return doc.Seats(
        seats={p.party: p.total for p in holders},
        electorate={p.party: p.electorate for p in holders},
        list={p.party: p.list_seats for p in holders},
        house_size=result.house_size,
        overhang=result.overhang,
        ties=[
            doc.SeatTie(parties=list(t.parties), seats=t.seats, lot_winners=list(t.lot_winners))
            for t in result.ties
        ],
        vacant=result.vacant,
        other_electorates=result.other_electorates,
        rules=doc.RuleSet(**result.rules.to_dict()),
        parties=[
            doc.PartySeats(
                party=p.party,
                votes=p.votes,
                share=p.share,
                qualified=p.qualified,
                entitlement=p.entitlement,
                electorate=p.electorate,
                list=p.list_seats,
                total=p.total,
                overhang=p.overhang,
                list_members=list(p.list_members) if p.list_members is not None else None,
                list_vacancies=p.list_vacancies,
                list_short=p.list_short,
            )
            for p in result.parties
        ],
    )


def parties(counted: ElectionTally, palette: dict[str, str]) -> doc.Parties:
    """Each party's votes and seats (coloured from ``palette``), with its electorate MPs
    and list MPs where known."""
    election, stage = counted.election, counted.stage.value
    if not sum(counted.party_votes().values()):
        return doc.Parties(election=election, stage=stage, house_size=None, parties=[])
    if counted.regional:
        return _regional_parties(counted, palette)
    result = counted.seats()
    won = _electorate_members(counted)
    return doc.Parties(
        election=election,
        stage=stage,
        house_size=result.house_size,
        parties=[
            doc.PartyRow(
                party=p.party,
                colour=palette.get(p.party, ""),
                votes=p.votes,
                percent=round(100 * p.share, 2),
                qualified=p.qualified,
                electorate_seats=p.electorate,
                list_seats=p.list_seats,
                total=p.total,
                electorate_mps=won.get(p.party, []),
                list_mps=list(p.list_members) if p.list_members is not None else None,
                list_short=p.list_short,
            )
            for p in result.parties
        ],
    )


def _electorate_members(
    counted: ElectionTally, leave_out: Collection[str] = ()
) -> dict[str, list[doc.Member]]:
    """Each party's electorate winners, but those whose "NUMBER NAME" is in ``leave_out``
    (district winners a regional law leaves without a seat)."""
    won: dict[str, list[doc.Member]] = {}
    for e in electorate_winners(counted):
        if district_label(e.number, e.name) not in leave_out:
            won.setdefault(e.party, []).append(
                doc.Member(name=e.winner, electorate=e.name, number=e.number)
            )
    return won


def _regional_parties(counted: ElectionTally, palette: dict[str, str]) -> doc.Parties:
    """:func:`parties` under a regional law: each party's district winners who are seated
    (a winner left unseated is not a member), and its list seats (the lists of the Länder
    are not stored, so list members are not named)."""
    result = counted.regional_seats()
    unseated = {d.name for d in result.unseated}
    won = _electorate_members(counted, leave_out=unseated)
    total = sum(p.votes for p in result.parties) or 1
    return doc.Parties(
        election=counted.election,
        stage=counted.stage.value,
        house_size=result.house_size,
        parties=[
            doc.PartyRow(
                party=p.party,
                colour=palette.get(p.party, ""),
                votes=p.votes,
                percent=round(100 * p.votes / total, 2),
                qualified=p.qualified,
                electorate_seats=p.districts_seated,
                list_seats=p.list_seats,
                total=p.seats,
                electorate_mps=won.get(p.party, []),
                list_mps=None,
                list_short=0,
            )
            for p in result.parties
        ],
    )


def electorate_list(counted: ElectionTally) -> doc.Electorates:
    """Every electorate with its winner and majority (none yet where uncounted)."""
    winners = {e.number: e for e in electorate_winners(counted)}
    rows = []
    missing = counted.missing_candidates()
    for number, electorate in sorted(counted.electorates.items()):
        contest = counted.candidates.get(number)
        won = winners.get(number)
        row = doc.ElectorateRow(
            number=number,
            name=electorate.name,
            roll=electorate.roll,
            winner=won.winner if won else None,
            party=won.party if won else "",
            majority=won.majority if won else None,
            valid=contest.valid if contest else 0,
            informal=contest.informal if contest else 0,
        )
        if number in missing:
            row = row.model_copy(update={"candidates_missing": len(missing[number])})
        rows.append(row)
    found = doc.Electorates(election=counted.election, stage=counted.stage.value, electorates=rows)
    return _with_gaps(found, counted)


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


def _no_result(counted: ElectionTally, number: int) -> str:
    """Why electorate ``number`` has no candidate result at ``counted``'s stage, in words."""
    if number in counted.cancelled_polls:
        return (
            "The candidate poll was cancelled, so no candidate votes were counted: the "
            "electorate has no result and its seat is vacant until a by-election fills it. "
            "Its party votes count as everywhere else."
        )
    return "No candidate votes counted at this stage yet."


def electorate(counted: ElectionTally, which: str | int) -> doc.ElectorateDetail:
    """One electorate: candidates, votes, winner, majority, party votes and voting places.

    This is also what ``tallyroom electorate --json`` prints.
    """
    number = electorate_number(counted, which)
    name, roll = counted.electorates[number].name, counted.electorates[number].roll
    places = [
        doc.VotingPlace(
            place=p.unit,
            kind=p.kind.value,
            count_type=p.count_type,
            valid=p.valid,
            informal=p.informal,
        )
        for p in counted.voting_places(number)
    ]
    party = counted.party_by_electorate.get(number)
    party_votes = []
    if party is not None and party.valid:
        party_votes = [
            doc.PartyVote(party=p, votes=v, percent=round(100 * v / party.valid, 2))
            for p, v in sorted(party.counts.items(), key=lambda i: (-i[1], i[0]))
        ]
    detail = doc.ElectorateDetail(
        election=counted.election,
        number=number,
        name=name,
        roll=roll,
        stage=counted.stage.value,
        candidates=[],
        valid=0,
        informal=0,
        winner=None,
        runner_up=None,
        majority=None,
        party_votes=party_votes,
        voting_places=places,
    )
    contest = counted.candidates.get(number)
    if contest is None or not contest.counts:
        return detail.model_copy(update={"no_result": _no_result(counted, number)})
    outcome = decide_electorate(contest.counts, contest.informal)  # this one, not all 72
    candidates = [
        doc.CandidateVote(
            candidate=c,
            party=contest.party_of.get(c, ""),
            votes=v,
            percent=round(100 * v / contest.valid, 2),
        )
        for c, v in sorted(contest.counts.items(), key=lambda i: (-i[1], i[0]))
    ]
    found = {
        "candidates": candidates,
        "valid": contest.valid,
        "informal": contest.informal,
        "winner": outcome.winner,
        "runner_up": outcome.runner_up,
        "majority": outcome.majority,
    }
    missing = counted.missing_candidates().get(number)
    if missing:
        found["missing_candidates"] = [doc.CandidateRef(name=n, party=p) for n, p in missing]
        found["shares_of"] = (
            f"the {contest.valid:,} votes counted for the {len(candidates)} candidates listed: "
            f"the {STAGE_WORDS[counted.stage]} returns leave out {len(missing)} of the "
            f"{len(candidates) + len(missing)} candidates, whose votes are unknown"
        )
    return detail.model_copy(update=found)


def seats(counted: ElectionTally) -> doc.Seats | doc.RegionalSeats:
    """The seat allocation: the JSON of ``tallyroom seats --json`` and ``allocate --json``."""
    if not sum(counted.party_votes().values()):
        raise NoReturnsError(
            f"{counted.election} has no party votes counted at the {counted.stage} stage yet"
        )
    return seat_allocation(counted)


def referendums(counted: ElectionTally) -> list[doc.ReferendumResult]:
    """Every referendum's national result at this stage."""
    return [referendum_data(contest) for contest in counted.referendums.values()]


def referendum(
    counted: ElectionTally,
    slug: str,
    basis: VoteBasis = VoteBasis.ORDINARY,
) -> doc.ReferendumDetail:
    """A referendum nationally and by general electorate, with the vote basis stated.

    The by-electorate part is what ``tallyroom referendum --json`` prints.
    """
    table = by_electorate(counted, slug, basis, Base.TOTAL)
    return doc.ReferendumDetail(
        election=counted.election,
        stage=counted.stage.value,
        national=referendum_data(counted.referendums[table.contest]),
        by_electorate=doc.ReferendumByElectorate.model_validate(table, from_attributes=True),
    )


def comparison(
    election: str,
    basis: str | None,
    stages: list[Stage],
    tally_at: Callable[[Stage], ElectionTally],
) -> doc.Comparison:
    """Election night (or, without one, the official count's ordinary votes alone) against
    the official count: what ``tallyroom compare --json`` prints. ``basis`` is what
    :func:`~tallyroom.analysis.ordinary.comparison_basis` says of the election's
    ``stages``; ``tally_at`` gives its tallies."""
    if basis is None:
        raise NoReturnsError(
            f"{election} needs preliminary and official returns, or official returns that "
            f"separate special votes, to compare (has: {', '.join(stages) or 'none'})"
        )
    night = None if basis == "ordinary" else tally_at(Stage.PRELIMINARY)
    found = compare(night, tally_at(Stage.OFFICIAL))
    return _with_gaps(doc.Comparison.model_validate(found, from_attributes=True), night)


def projection(
    counted: ElectionTally,
    *,
    specials: float | None = None,
    draws: int = 100_000,
    seed: int = 0,
) -> doc.Projection:
    """The projected final count from election night's ordinary votes counted so far
    (``counted``, the preliminary tally): what ``tallyroom project --json`` prints and
    ``…/preliminary/projection.json`` serves."""
    model = model_for(counted.election)
    count = from_tally(
        counted, election_year(counted.election), named(counted.rules), counted.counted_shares()
    )
    result = project(count, model, specials=specials, draws=draws, seed=seed).to_dict()
    return doc.Projection.model_validate(
        {**result, "method": METHOD, "progress": progress(counted.progress(), counted.stage)}
    )


def since(first: ElectionTally, second: ElectionTally) -> doc.BetweenElections:
    """The later election's count ``second`` against the earlier one's, ``first``: what
    ``tallyroom compare EARLIER LATER --json`` prints."""
    return doc.BetweenElections.model_validate(compare_elections(first, second).to_dict())


def split_votes(tables: SplitTables, election: str) -> doc.SplitVotes:
    """An election's split-vote tables: what ``tallyroom split --json`` prints and
    ``…/split-votes.json`` serves."""
    return doc.SplitVotes(
        election=election,
        summary=[
            doc.SplitShare(
                party=r.party,
                party_votes=r.party_votes,
                same_votes=r.same_votes,
                same_percent=r.same_hundredths / 100,
                split_votes=r.split_votes,
                split_percent=r.split_hundredths / 100,
            )
            for r in tables.summary
        ],
        tables=[
            doc.SplitMatrix(
                scope=m.scope,
                name=m.name,
                electorate=m.electorate,
                cancelled=m.cancelled,
                columns=[
                    doc.SplitColumn(name=c.name, display=display_name(c.name), party=c.party)
                    for c in m.columns
                ],
                rows=[
                    doc.SplitRow(party=party, party_votes=votes, percent=[h / 100 for h in shares])
                    for party, votes, shares in m.rows
                ],
            )
            for m in tables.matrices
        ],
    )
