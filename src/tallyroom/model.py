"""Domain types shared by the importers, the store and the tally.

The names follow the vocabulary of the design (and of the NIST SP 1500-100 common data
format): an *election* has *contests* (the party vote, each electorate's candidate vote,
each referendum question) whose *choices* are counted at *reporting units* (the nation,
electorates, voting places, special-vote batches, referendum areas). A *return* is the
counts for one contest at one unit at one *stage* and *count type*. Informal votes are
counted beside the choices, never as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl


class Stage(StrEnum):
    """How far the count has got."""

    PRELIMINARY = "preliminary"
    """Election night: ordinary votes, counted at the voting places."""
    OFFICIAL = "official"
    """The official count: ordinary votes recounted, special votes added."""
    RECOUNT = "recount"
    """A judicial recount."""
    BY_ELECTION = "by-election"
    """An electorate filled again after the general election (its seat vacant, or its
    member gone): the official count with the by-election's returns for that electorate
    in place of its general-election candidate vote."""

    @property
    def builds_on_official(self) -> bool:
        """Whether a tally at this stage is the official count with some electorates'
        returns replaced by this stage's (a recount, a by-election)."""
        return self in (Stage.RECOUNT, Stage.BY_ELECTION)


class CountType(StrEnum):
    """Which votes a return counts. ``all`` is used where a source does not split them."""

    ALL = "all"
    ORDINARY = "ordinary"
    ADVANCE = "advance"
    ELECTION_DAY = "election-day"
    SPECIAL = "special"
    SPECIAL_BEFORE = "special-before"
    SPECIAL_ON = "special-on"
    OVERSEAS = "overseas"

    @property
    def is_special(self) -> bool:
        """True for the kinds of special vote."""
        return self in (
            CountType.SPECIAL,
            CountType.SPECIAL_BEFORE,
            CountType.SPECIAL_ON,
            CountType.OVERSEAS,
        )


class UnitKind(StrEnum):
    """Kinds of reporting unit, from the whole nation down to one voting place."""

    NATION = "nation"
    ELECTORATE = "electorate"
    AREA = "area"
    """A referendum area: votes cast at voting places shared by several electorates."""
    VOTING_PLACE = "voting-place"
    SPECIAL_BATCH = "special-batch"


class ContestKind(StrEnum):
    """What is voted on."""

    PARTY = "party"
    CANDIDATE = "candidate"
    REFERENDUM = "referendum"


class Roll(StrEnum):
    """New Zealand's two electoral rolls; each electorate belongs to one."""

    GENERAL = "general"
    MAORI = "maori"


@dataclass(frozen=True)
class Election:
    """One election event. ``rules`` names a rule set of :mod:`tallyroom.rules.systems`."""

    id: str
    name: str
    date: str = ""
    rules: str = "nz"


@dataclass(frozen=True)
class Electorate:
    """A single-member district, identified within its election by number.

    ``code`` is a short label (``AUC``); ``hex_u``/``hex_v`` place it on a hexagon map.
    ``electors`` is the enrolment and ``votes_cast`` all votes cast in the official count
    (disallowed ones included), where the source gives them, for turnout.
    """

    number: int
    name: str
    roll: Roll = Roll.GENERAL
    code: str = ""
    region: str = ""
    hex_u: int | None = None
    hex_v: int | None = None
    electors: int | None = None
    votes_cast: int | None = None


@dataclass(frozen=True)
class Region:
    """A region between the nation and the electorates where the law apportions seats by
    region (a German Land). Electorates name it as their ``region``; ``population`` is
    the figure of the law's seat contingents, where it has them."""

    name: str
    number: int
    population: int | None = None


@dataclass(frozen=True)
class Party:
    """A party on the party ballot (or standing candidates only). ``position`` places it
    left to right where the House seats it (seat charts follow it); ``None`` if unknown."""

    name: str
    short_name: str = ""
    colour: str = ""
    position: float | None = None


@dataclass(frozen=True)
class Unit:
    """A reporting unit. ``code`` is unique within the election, e.g. ``electorate:1``."""

    code: str
    kind: UnitKind
    name: str
    electorate: int | None = None


@dataclass(frozen=True)
class Contest:
    """A contest; ``code`` is ``party``, ``candidate:N`` or ``referendum:SLUG``."""

    code: str
    kind: ContestKind
    name: str
    electorate: int | None = None


@dataclass(frozen=True)
class Choice:
    """A party, candidate or option in a contest; ``party`` is a candidate's party."""

    contest: str
    name: str
    party: str = ""


@dataclass(frozen=True)
class ListCandidate:
    """A place on a party's list: its ``rank`` (1 first), the candidate's name as
    published (``SURNAME, Given``) and the electorate they also stood in, if any."""

    party: str
    rank: int
    name: str
    electorate: str = ""


@dataclass(frozen=True)
class SplitVote:
    """One cell of the Electoral Commission's split-vote tables: of the voters who gave
    their party vote to ``party`` (``party_votes`` of them, in ``scope``), the share
    (``hundredths`` of a per cent, as published to two decimals) whose electorate vote
    went to ``choice``.

    ``scope`` is ``nation`` (the summary: ``choice`` is :data:`SPLIT_SAME` or
    :data:`SPLIT_OTHER`, with the ``votes`` as counted), ``all``, ``general`` or
    ``maori`` (the national matrices: ``choice`` is the candidate's party), or an
    electorate unit code (``choice`` is a candidate's name). ``party`` may also be
    :data:`SPLIT_INFORMAL` (informal party votes) or :data:`SPLIT_TOTAL` (every party
    vote); ``choice`` also :data:`SPLIT_INFORMAL` (an informal electorate vote) or
    :data:`SPLIT_PARTY_ONLY` (no electorate vote).
    """

    scope: str
    party: str
    party_votes: int
    choice: str
    hundredths: int
    votes: int | None = None


SPLIT_NATION = "nation"
"""the scope of the nationwide summary"""
SPLIT_SAME = "Same party"
SPLIT_OTHER = "Split"
SPLIT_INFORMAL = "Informal"
SPLIT_PARTY_ONLY = "Party vote only"
SPLIT_TOTAL = "All party votes"
SPLIT_NATIONAL_SCOPES = {"all": "All electorates", "general": "General electorates",
                         "maori": "Māori electorates"}  # fmt: skip


@dataclass(frozen=True)
class Return:
    """Counts for one contest at one reporting unit, stage and count type.

    ``where`` says where the figures came from (file and line) for error messages.
    """

    contest: str
    unit: str
    stage: Stage
    count_type: CountType
    counts: Mapping[str, int]
    informal: int = 0
    where: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What a return is a version of: contest, unit, stage, count type."""
        return (self.contest, self.unit, self.stage.value, self.count_type.value)


RETURN_KEY = ["contest", "unit", "stage", "count_type"]


@dataclass(frozen=True)
class ReturnTable:
    """Many returns as columns, for imports too big to hold as :class:`Return` objects.

    ``returns`` has one row per return: the :data:`RETURN_KEY` columns, ``informal`` and
    ``where``; ``counts`` one row per choice of a return: the key columns, ``choice``
    and ``votes``. Both use the string codes of :class:`Return`. Either may be a lazy
    frame, computed when the store asks for it (so reading the next election can overlap
    storing this one).
    """

    returns: pl.DataFrame | pl.LazyFrame
    counts: pl.DataFrame | pl.LazyFrame

    def collected(self) -> ReturnTable:
        """The same table with both frames computed."""
        if isinstance(self.returns, pl.DataFrame) and isinstance(self.counts, pl.DataFrame):
            return self
        returns, counts = pl.collect_all([self.returns.lazy(), self.counts.lazy()])
        return ReturnTable(returns, counts)

    @classmethod
    def of(cls, returns: list[Return]) -> ReturnTable:
        """The table of a list of returns."""
        columns = ReturnColumns()
        for r in returns:
            columns.add(
                r.contest, r.unit, r.stage, r.count_type, r.counts, r.counts.values(), r.informal,
                r.where,
            )  # fmt: skip
        return columns.table()


class ReturnColumns:
    """Returns gathered column by column, then made one :class:`ReturnTable`: for a
    reader of thousands of returns, cheaper than a :class:`Return` object for each."""

    def __init__(self) -> None:
        self._keys: list[tuple[str, str, str, str]] = []
        self._informal: list[int] = []
        self._where: list[str] = []
        self._of: list[int] = []
        self._choices: list[str] = []
        self._votes: list[int] = []

    def add(
        self,
        contest: str,
        unit: str,
        stage: Stage,
        count_type: CountType,
        choices: Iterable[str],
        votes: Iterable[int],
        informal: int,
        where: str,
    ) -> None:
        """One return: its key, its ``choices`` with their ``votes`` (in that order), its
        informal votes and where its figures came from."""
        row = len(self._keys)
        self._keys.append((contest, unit, stage.value, count_type.value))
        self._informal.append(informal)
        self._where.append(where)
        before = len(self._choices)
        self._choices.extend(choices)
        self._votes.extend(votes)
        if len(self._votes) != len(self._choices):
            raise ValueError(f"{where}: {contest} at {unit} has not one figure per choice")
        self._of.extend([row] * (len(self._choices) - before))

    def table(self) -> ReturnTable:
        """The returns added so far, as one computed table."""
        heads = pl.DataFrame(
            self._keys, schema={k: pl.String for k in RETURN_KEY}, orient="row"
        ).with_columns(
            pl.Series("informal", self._informal, dtype=pl.Int64),
            pl.Series("where", self._where, dtype=pl.String),
        )
        # one row per choice of each return (a return may have none), as flat columns
        counts = heads.select(RETURN_KEY)[pl.Series(self._of, dtype=pl.Int64)].with_columns(
            pl.Series("choice", self._choices, dtype=pl.String),
            pl.Series("votes", self._votes, dtype=pl.Int64),
        )
        return ReturnTable(heads, counts)


@dataclass
class Dataset:
    """What an importer reads from its files: definitions and returns, ready to store.

    Returns come as :class:`Return` objects, or, from bulk importers, as a
    :class:`ReturnTable`; :meth:`return_table` gives both as one table.
    """

    election: Election
    electorates: list[Electorate] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    contests: list[Contest] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    returns: list[Return] = field(default_factory=list)
    table: ReturnTable | None = None
    list_candidates: list[ListCandidate] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    split_votes: list[SplitVote] = field(default_factory=list)

    def return_table(self) -> ReturnTable:
        """All of this dataset's returns as one computed table."""
        if self.table is None:
            return ReturnTable.of(self.returns)
        table = self.table.collected()
        if not self.returns:
            return table
        listed = ReturnTable.of(self.returns)
        return ReturnTable(
            pl.concat([table.returns, listed.returns], how="vertical_relaxed"),
            pl.concat([table.counts, listed.counts], how="vertical_relaxed"),
        )

    def all_returns(self) -> list[Return]:
        """Every return as a :class:`Return`, the table's included (for replaying them)."""
        if self.table is None:
            return list(self.returns)
        table = self.table.collected()
        counts: dict[tuple, dict[str, int]] = {}
        for *key, choice, votes in table.counts.select(*RETURN_KEY, "choice", "votes").rows():
            counts.setdefault(tuple(key), {})[choice] = votes
        from_table = [
            Return(
                contest,
                unit,
                Stage(stage),
                CountType(count_type),
                counts.get((contest, unit, stage, count_type), {}),
                informal,
                where,
            )
            for contest, unit, stage, count_type, informal, where in table.returns.select(
                *RETURN_KEY, "informal", "where"
            ).rows()
        ]
        return from_table + list(self.returns)

    def return_count(self) -> int | None:
        """How many returns the dataset holds, or ``None`` while its table is still lazy."""
        if self.table is None:
            return len(self.returns)
        if isinstance(self.table.returns, pl.LazyFrame):
            return None
        return len(self.returns) + self.table.returns.height


def electorate_unit(number: int, part: str | None = None) -> str:
    """The unit code of electorate ``number``, or of a ``part`` of it (a voting place,
    special votes): ``electorate:32`` or ``electorate:32/special``."""
    return f"electorate:{number}" + (f"/{part}" if part else "")


def candidate_contest(number: int) -> str:
    """The contest code of electorate ``number``'s candidate vote."""
    return f"candidate:{number}"


def referendum_contest(slug: str) -> str:
    """The contest code of the referendum ``slug``."""
    return f"referendum:{slug}"


def referendum_slug(code: str) -> str:
    """The slug of the referendum whose contest code is ``code``."""
    return code.removeprefix("referendum:")


def both_counts(stages: Iterable[str] | Iterable[Stage]) -> bool:
    """Whether ``stages`` hold both election night's count and the official one: the
    condition of every comparison between the two."""
    return {Stage.PRELIMINARY, Stage.OFFICIAL} <= {Stage(s) for s in stages}


PARTY_CONTEST = "party"
NATION_UNIT = "nation"
CANCELLED_POLL_SUFFIX = " (poll cancelled)"
"""ends the name of an electorate vote whose poll was cancelled (Port Waikato 2023): the
electorate has party votes and no candidate result"""
