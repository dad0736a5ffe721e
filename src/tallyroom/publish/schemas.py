"""Every document the site, the API and ``--json`` give, as Pydantic models: the views
of :mod:`tallyroom.publish.views` build them, and they describe the JSON in the OpenAPI
schema. No extra fields are allowed, so a view that grows a field grows its model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(_Doc):
    """Why a request failed."""

    detail: str


class ElectionBrief(_Doc):
    """An election and the stages of its count that have returns."""

    id: str
    name: str
    date: str
    rules: str
    stages: list[str]


class ReferendumRef(_Doc):
    """A referendum's slug (for URLs) and name."""

    slug: str
    name: str


class ElectionInfo(ElectionBrief):
    """An election with its electorates and referendums."""

    electorates: int
    referendums: list[ReferendumRef]


class Progress(_Doc):
    """How many reporting places have returns at a stage."""

    reported: int
    expected: int
    unit: str
    text: str


class PartyVote(_Doc):
    """A party's votes and share of the valid votes."""

    party: str
    votes: int
    percent: float


class ElectorateWinner(_Doc):
    """An electorate's winner, runner-up and majority (``tied`` lists candidates in a tie)."""

    number: int
    name: str
    roll: str
    winner: str | None
    party: str
    runner_up: str | None
    runner_up_party: str
    majority: int
    tied: list[str]


class RuleSet(_Doc):
    """The rule set the seats were allocated by."""

    name: str
    seats: int
    threshold: str
    electorate_threshold: int | None
    method: str
    overhang: str
    ties: str
    description: str


class SeatTie(_Doc):
    """Parties tied for the last seats, and who won by lot if a lot was drawn."""

    parties: list[str]
    seats: int
    lot_winners: list[str]


class PartySeats(_Doc):
    """One party's votes and seats in the allocation."""

    party: str
    votes: int
    share: float
    qualified: bool
    entitlement: int
    electorate: int
    list: int
    total: int
    overhang: int
    list_members: list[str] | None
    list_vacancies: int
    list_short: int


class Seats(_Doc):
    """The seat allocation (the JSON of ``tallyroom seats --json``)."""

    seats: dict[str, int]
    electorate: dict[str, int]
    list: dict[str, int]
    house_size: int
    overhang: int
    ties: list[SeatTie]
    vacant: int
    other_electorates: int
    rules: RuleSet
    parties: list[PartySeats]


class Pipeline(_Doc):
    """A rule set as a pipeline of named steps (``tallyroom rules NAME --json``)."""

    name: str
    description: str
    steps: list[dict[str, Any]]


class RegionalParty(_Doc):
    """One party's seats under a regional law: in all and per region (Land), district
    seats won and seated, list seats, overhang."""

    party: str
    votes: int
    qualified: bool
    seats: int
    districts_won: int
    districts_seated: int
    list: int
    overhang: int
    by_region: dict[str, int]
    districts_by_region: dict[str, int]


class Unseated(_Doc):
    """A district winner left without a seat (their party's second votes do not cover it)."""

    district: str
    region: str
    party: str
    share: float


class RegionalSeats(_Doc):
    """The seat allocation of a law that apportions by region (the Bundestag): the JSON
    of ``tallyroom seats --json`` for such an election, the pipeline's trace included."""

    rules: Pipeline
    house_size: int
    seats: dict[str, int]
    independents: int
    parties: list[RegionalParty]
    unseated: list[Unseated]
    trace: list[str]


class RegionVotes(_Doc):
    """Party votes (Zweitstimmen) in one region (Land)."""

    region: str
    party_votes: dict[str, int]
    valid: int


class ReferendumResult(_Doc):
    """A referendum's national counts, shares (of all votes and of valid votes) and result."""

    contest: str
    slug: str
    name: str
    counts: dict[str, int]
    informal: int
    total: int
    percent_of_total: dict[str, float]
    percent_of_valid: dict[str, float]
    result: str | None


class CandidateRef(_Doc):
    """A candidate by name and party."""

    name: str
    party: str


class MissingCandidates(_Doc):
    """An electorate whose returns at this stage leave some of its candidates out."""

    number: int
    name: str
    candidates: list[CandidateRef]


class Incomplete(_Doc):
    """Candidates that a stage's returns leave out (their votes unknown, not zero): given
    only where there are any (the 2020 election-night file lacks 112 of 601)."""

    statement: str
    candidates_missing: int
    candidates_standing: int
    electorates: list[MissingCandidates]


class Summary(_Doc):
    """The national picture at one stage."""

    election: str
    name: str
    stage: str
    progress: Progress
    party_votes: list[PartyVote]
    valid_party_votes: int
    informal_party_votes: int
    electorates: list[ElectorateWinner]
    seats: Seats | RegionalSeats | None
    referendums: list[ReferendumResult]
    regions: list[RegionVotes] | None = None
    """party votes per region, for an election whose law apportions by region"""
    incomplete: Incomplete | None = None
    """candidates these returns leave out, where there are any"""


class Member(_Doc):
    """An electorate MP."""

    name: str | None
    electorate: str
    number: int


class PartyRow(_Doc):
    """A party's votes, seats and MPs."""

    party: str
    colour: str
    votes: int
    percent: float
    qualified: bool
    electorate_seats: int
    list_seats: int
    total: int
    electorate_mps: list[Member]
    list_mps: list[str] | None
    list_short: int
    """list seats the stored list is too short to name (it may be incomplete)"""


class Parties(_Doc):
    """Every party at one stage."""

    election: str
    stage: str
    house_size: int | None
    parties: list[PartyRow]


class ElectorateRow(_Doc):
    """An electorate's winner and votes (``None`` while uncounted)."""

    number: int
    name: str
    roll: str
    winner: str | None
    party: str
    majority: int | None
    valid: int
    informal: int
    candidates_missing: int | None = None
    """candidates the returns leave out (given only where some are)"""


class Electorates(_Doc):
    """Every electorate at one stage."""

    election: str
    stage: str
    electorates: list[ElectorateRow]
    incomplete: Incomplete | None = None
    """candidates these returns leave out, where there are any"""


class CandidateVote(_Doc):
    """A candidate's votes and share in their electorate."""

    candidate: str
    party: str
    votes: int
    percent: float


class VotingPlace(_Doc):
    """Candidate votes counted at one voting place or special-vote batch."""

    place: str
    kind: str
    count_type: str
    valid: int
    informal: int


class ElectorateDetail(_Doc):
    """One electorate (the JSON of ``tallyroom electorate --json``)."""

    election: str
    number: int
    name: str
    roll: str
    stage: str
    candidates: list[CandidateVote]
    valid: int
    informal: int
    winner: str | None
    runner_up: str | None
    majority: int | None
    party_votes: list[PartyVote]
    voting_places: list[VotingPlace]
    no_result: str | None = None
    """why the electorate has no candidate result (its poll cancelled, or not counted yet);
    given only for an electorate without one"""
    missing_candidates: list[CandidateRef] | None = None
    """candidates these returns leave out (votes unknown, not zero); given only where some
    are, and then ``shares_of`` says what the shares are of"""
    shares_of: str | None = None


class ElectorateFigure(_Doc):
    """A referendum's counts and shares in one general electorate, ranked."""

    number: int
    name: str
    counts: dict[str, int]
    informal: int
    percent: dict[str, float]
    result: str | None
    rank: int
    exact: float


class ReferendumByElectorate(_Doc):
    """A referendum by general electorate, with the votes each figure counts stated."""

    contest: str
    name: str
    basis: str
    base: str
    statement: str
    options: list[str]
    rows: list[ElectorateFigure]


class ReferendumDetail(_Doc):
    """A referendum nationally and by general electorate."""

    election: str
    stage: str
    national: ReferendumResult
    by_electorate: ReferendumByElectorate


class PartyChange(_Doc):
    """A party at both stages: votes, percent, seats."""

    party: str
    votes: tuple[int, int]
    percent: tuple[float, float]
    seats: tuple[int, int]


class Flip(_Doc):
    """An electorate whose winner changed: (winner, party, majority) before and after."""

    number: int
    name: str
    before: tuple[str, str, int]
    after: tuple[str, str, int]


class ReferendumChange(_Doc):
    """A referendum's first option on ordinary votes alone and on all votes."""

    contest: str
    name: str
    option: str
    ordinary_percent: float
    all_percent: float
    ordinary_result: str | None
    all_result: str | None


class Comparison(_Doc):
    """Election night against the official count (``tallyroom compare --json``); where no
    election-night count is stored, the official count's ordinary votes alone against all
    its votes (``ordinary_only``)."""

    election: str
    stages: tuple[str, str]
    valid_party_votes: tuple[int, int]
    parties: list[PartyChange]
    flips: list[Flip]
    special_votes: int
    special_share: float
    referendums: list[ReferendumChange]
    electors: int | None
    turnout: tuple[float | None, float | None]
    ordinary_only: bool
    incomplete: Incomplete | None = None
    """candidates the election-night returns leave out, where there are any"""


class Interval(_Doc):
    """A projected figure: the most likely value and its 80 % and 95 % intervals."""

    most_likely: float
    p80: tuple[float, float]
    p95: tuple[float, float]


class SeatInterval(_Doc):
    """A projected number of seats: the most likely and its 80 % and 95 % intervals."""

    most_likely: int
    p80: tuple[int, int]
    p95: tuple[int, int]


class PartyProjection(_Doc):
    """A party's projected share of the party vote (percent) and seats."""

    party: str
    share: Interval
    seats: SeatInterval


class ElectorateProjection(_Doc):
    """An electorate's candidate ahead now and the chance the lead changes hands."""

    number: int
    name: str
    leader_now: str
    leader_party: str
    flip_probability: float
    likely_winner: str


class BlocProjection(_Doc):
    """The chance that a bloc of parties holds more than half the House."""

    parties: list[str]
    majority_probability: float


class HouseProjection(SeatInterval):
    """The projected House size, and the allocation drawn most often."""

    likely_seats: dict[str, int]


class SpecialsExpected(_Doc):
    """Special votes expected and the relative error drawn around that number."""

    expected: int
    spread: float


class ModelFit(_Doc):
    """The latest earlier election the special-vote model was fitted to."""

    fitted_to: int


class Projection(_Doc):
    """The final count projected from election night (``tallyroom project --json``)."""

    election: str
    stage: str
    parties: list[PartyProjection]
    electorates: list[ElectorateProjection]
    blocs: list[BlocProjection]
    house: HouseProjection
    draws: int
    seed: int
    specials: SpecialsExpected
    model: ModelFit
    tied_draws: float
    method: str
    progress: Progress


class AuditHead(_Doc):
    """The newest audit row's id and hash, signed with the store's Ed25519 key. Keep it:
    `tallyroom audit verify --against HEAD.json` later proves the log still extends it."""

    last_id: int
    hash: str
    algorithm: str
    public_key: str
    signature: str


class AuditKey(_Doc):
    """The public key that signs the audit head (raw Ed25519, base64)."""

    algorithm: str
    public_key: str


class PartySwing(BaseModel):
    """A party at both elections, named as at the later one."""

    model_config = ConfigDict(extra="forbid")
    party: str
    votes: tuple[int, int]
    percent: tuple[float, float]
    seats: tuple[int, int]
    swing: float
    seat_change: int


class ElectorateSwing(BaseModel):
    """An electorate's party-vote shares and swing, and its winner's party at each."""

    model_config = ConfigDict(extra="forbid")
    number: int
    name: str
    percent: dict[str, tuple[float, float]]
    winner_party: tuple[str | None, str | None]
    swing: dict[str, float]


class PartyChangeOfSeat(BaseModel):
    """An electorate won by another party: (winner, party, majority) at each election."""

    model_config = ConfigDict(extra="forbid")
    number: int
    name: str
    before: tuple[str, str, int]
    after: tuple[str, str, int]


class BetweenElections(BaseModel):
    """One election against an earlier one (``tallyroom compare EARLIER LATER --json``)."""

    model_config = ConfigDict(extra="forbid")
    elections: tuple[str, str]
    names: tuple[str, str]
    stages: tuple[str, str]
    valid_party_votes: tuple[int, int]
    house_size: tuple[int, int]
    parties: list[PartySwing]
    electorates: list[ElectorateSwing]
    changed: list[PartyChangeOfSeat]
    no_result: list[tuple[str, str]]
    unmatched: list[str]


class SplitShare(_Doc):
    """One party's voters who gave their electorate vote to its own candidate (``same``)
    or to another (``split``)."""

    party: str
    party_votes: int
    same_votes: int
    same_percent: float
    split_votes: int
    split_percent: float


class SplitColumn(_Doc):
    """A matrix column: a party's candidates, one candidate (``name`` as published, with
    ``display`` as people write it), or an electorate vote for no candidate."""

    name: str
    display: str
    party: str


class SplitRow(_Doc):
    """A party's voters, by the per cent of them whose electorate vote went to each column."""

    party: str
    party_votes: int
    percent: list[float]


class SplitMatrix(_Doc):
    """Party vote (rows) by electorate vote (columns), as the Electoral Commission publishes it."""

    scope: str
    name: str
    electorate: int | None
    cancelled: bool
    columns: list[SplitColumn]
    rows: list[SplitRow]


class SplitVotes(_Doc):
    """An election's split-vote tables (``tallyroom split --json``): the nationwide
    summary and every matrix published (nationally, general and Māori electorates, each
    general electorate)."""

    election: str
    summary: list[SplitShare]
    tables: list[SplitMatrix]
