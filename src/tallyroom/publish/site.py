"""One store seen as a website: its views, tables and pages, each computed once per change.

The store only ever grows (returns are append-only), so the highest return id is its
*generation*: while it stays the same every view stays valid. :class:`Site` keeps what it
has computed until :meth:`Site.refresh` sees a new generation, which is what lets one
server answer thousands of requests a second on election night. A few things are kept
across generations too (:meth:`Site.carried`), each with a summary of what it was made
from: an electorate's view while no return or review touched that electorate, the
split-vote tables while their cells and the electorates' naming stay the same, a static
page or document while its inputs do; and each contest's summed votes, from which a tally
is assembled (:class:`~tallyroom.results.summed.SummedRows`). So a return remakes what it
changes, not the site.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import polars as pl
from pydantic import BaseModel
from sqlalchemy import Engine, func, select

from tallyroom import results
from tallyroom.analysis.between import final_stage
from tallyroom.analysis.ordinary import comparison_basis
from tallyroom.analysis.split_votes import Naming, split_tables
from tallyroom.errors import NotFoundError
from tallyroom.model import Party, SplitVote, Stage
from tallyroom.publish import schemas as doc
from tallyroom.publish import tables, views
from tallyroom.results import ElectionTally, NoReturnsError
from tallyroom.results.summed import SummedRows
from tallyroom.store import audit
from tallyroom.store import schema as t
from tallyroom.store.review import HeldCorrection, held

T = TypeVar("T")


SITE_DRAWS = 10_000
"""Draws of the site's projection, recomputed on every new return: as many as the
backtest's track record was measured with; the 2020 projection's most likely seats and
80 % and 95 % intervals are the same at 10,000, 20,000 and 100,000 draws."""


def store_generation(engine: Engine) -> int:
    """The highest return id plus the highest review id: both only grow, so the sum
    changes whenever a return is added or a held correction is decided."""
    highest = [
        select(func.coalesce(func.max(table.c.id), 0)).scalar_subquery()
        for table in (t.vote_return, t.review)
    ]
    with engine.connect() as conn:
        return sum(conn.execute(select(*highest)).one())


def to_json(data: Any) -> bytes:
    """Compact UTF-8 JSON, as the API serves it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def dumped(document: BaseModel | list[BaseModel]) -> Any:
    """A view's document (or list of documents) as JSON-ready values: what the API
    serves, pages render and ``--json`` prints. Fields a view leaves unset (an
    electorate's ``no_result`` where it has a result) are left out."""
    if isinstance(document, list):
        return [dumped(d) for d in document]
    return document.model_dump(mode="json", exclude_unset=True)


class Site:
    """Views of one store, memoised per store generation (safe to share between threads)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.generation = store_generation(engine)
        self._memo: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        """one lock per computation in flight, dropped when it ends (so a flood of
        requests for unknown keys leaves nothing behind)"""
        self._guard = threading.Lock()
        self._carried: dict[Hashable, tuple[Hashable, Any]] = {}
        """values kept across generations, each with the version of what it was made from
        (see :meth:`carried`)"""
        self._summed = SummedRows()
        """each contest's summed votes, kept across generations: a new return sums again
        only its contest's"""

    def refresh(self) -> bool:
        """Look for new returns; forget everything computed if there are any."""
        found = store_generation(self.engine)
        if found == self.generation:
            return False
        with self._guard:
            self._memo = {}
            self.generation = found
        return True

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, once per generation for each ``key`` (failures are not kept)."""
        memo = self._memo
        if key in memo:
            return memo[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        try:
            with lock:
                if key not in memo:
                    memo[key] = compute()
                return memo[key]
        finally:
            with self._guard:
                if self._locks.get(key) is lock:
                    del self._locks[key]

    def carried(self, key: Hashable, version: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` for ``key``, made again only when ``version`` (a summary of what
        it is made from) changes: unlike :meth:`memo`, kept across generations, so a new
        return remakes only what it touches."""
        kept = self._carried.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        value = compute()
        self._carried[key] = (version, value)
        return value

    def kept(self, key: Hashable, version: Callable[[], Hashable], compute: Callable[[], T]) -> T:
        """``compute()`` once per generation for ``key`` (:meth:`memo`), and across
        generations while ``version()`` stays the same (:meth:`carried`)."""
        return self.memo(key, lambda: self.carried(key, version(), compute))

    def document(self, key: Hashable, view: Callable[[], BaseModel | list[BaseModel]]) -> Any:
        """``view()``'s document, :func:`dumped` once per generation for each ``key``."""
        return self.memo(key, lambda: dumped(view()))

    def cached(self, key: Hashable) -> Any | None:
        """What was computed for ``key`` in this generation, if anything."""
        return self._memo.get(key)

    # -- views -----------------------------------------------------------------------

    def records(self) -> list[results.ElectionRecord]:
        """Every election in the store, with the stages counted."""
        return self.memo("records", lambda: results.elections(self.engine))

    def elections(self) -> list[dict[str, Any]]:
        """Every election in the store."""
        return self.document("elections", lambda: views.election_list(self.records()))

    def election(self, election: str) -> dict[str, Any]:
        """One election's stages, electorates and referendums."""
        return self.document(
            ("election", election),
            lambda: views.election_info(
                views.find_election(self.records(), election),
                results.queries.electorate_count(self.engine, election),
                results.queries.referendum_names(self.engine, election),
            ),
        )

    def tally(self, election: str, stage: Stage) -> ElectionTally:
        """The count of ``election`` at ``stage``."""
        return self.memo(
            ("tally", election, stage),
            lambda: results.tally(self.engine, election, stage, self._summed),
        )

    def party_records(self, election: str) -> list[Party]:
        """The parties of ``election`` as stored."""
        return self.memo(
            ("party-records", election), lambda: results.queries.parties(self.engine, election)
        )

    def latest_stage(self, election: str) -> Stage:
        """The furthest stage of the count with returns."""
        found = self.election(election)["stages"]
        if not found:
            raise NoReturnsError(f"election {election!r} has no returns yet")
        return Stage(found[-1])

    def stages(self, election: str) -> list[Stage]:
        """The stages of ``election`` with returns, in count order."""
        return [Stage(s) for s in self.election(election)["stages"]]

    def under_review(self, election: str) -> list[HeldCorrection]:
        """The corrections of ``election`` held for a second admin (figures not shown)."""
        return self.memo(("under-review", election), lambda: held(self.engine, election))

    def audit_head(self) -> tuple[int, str]:
        """The audit log's newest row id and hash when this generation was read."""
        return self.memo("audit-head", lambda: audit.head(self.engine))

    def progress(self, election: str, stage: Stage) -> dict[str, Any]:
        """How many reporting places are in at ``stage``."""

        def find() -> doc.Progress:
            # the store's count of reporting places, not a whole tally: every open page's
            # event stream asks for it after each return (a by-election's is the tally's)
            found = (
                self.tally(election, stage).progress()
                if stage is Stage.BY_ELECTION
                else results.queries.progress(self.engine, election, stage)
            )
            rules = views.find_election(self.records(), election).rules
            return views.progress(found, stage, views.district_word(rules))

        return self.document(("progress", election, stage), find)

    def summary(self, election: str, stage: Stage) -> dict[str, Any]:
        """The national summary at ``stage``."""
        return self.document(
            ("summary", election, stage), lambda: views.summary(self.tally(election, stage))
        )

    def parties(self, election: str, stage: Stage) -> dict[str, Any]:
        """Parties' votes, seats and members."""
        return self.document(
            ("parties", election, stage),
            lambda: views.parties(self.tally(election, stage), self.colours(election)),
        )

    def electorates(self, election: str, stage: Stage) -> dict[str, Any]:
        """Every electorate's winner."""
        return self.document(
            ("electorates", election, stage),
            lambda: views.electorate_list(self.tally(election, stage)),
        )

    def electorate(self, election: str, stage: Stage, number: int) -> dict[str, Any]:
        """One electorate in detail, made again only when a return or review touches it
        (its voting places are read from the store for each one)."""
        return self.kept(
            ("electorate", election, stage, number),
            lambda: self.electorate_versions(election).get(number),
            lambda: dumped(views.electorate(self.tally(election, stage), number)),
        )

    def electorate_versions(self, election: str) -> dict[int, tuple[int, int]]:
        """What each electorate's figures were counted from, as far as the store has it
        (see :func:`results.queries.electorate_versions`)."""
        return self.memo(
            ("electorate-versions", election),
            lambda: results.queries.electorate_versions(self.engine, election),
        )

    def seats(self, election: str, stage: Stage) -> dict[str, Any]:
        """The seat allocation."""
        return self.document(
            ("seats", election, stage), lambda: views.seats(self.tally(election, stage))
        )

    def referendums(self, election: str, stage: Stage) -> list[dict[str, Any]]:
        """Every referendum's national result."""
        return self.document(
            ("referendums", election, stage),
            lambda: views.referendums(self.tally(election, stage)),
        )

    def referendum(self, election: str, stage: Stage, slug: str) -> dict[str, Any]:
        """One referendum nationally and by general electorate."""
        return self.document(
            ("referendum", election, stage, slug),
            lambda: views.referendum(self.tally(election, stage), slug),
        )

    def comparison(self, election: str) -> dict[str, Any]:
        """Election night (or the ordinary votes alone) against the official count."""
        return self.document(
            ("comparison", election),
            lambda: views.comparison(
                election,
                self.comparison_basis(election),
                self.stages(election),
                lambda stage: self.tally(election, stage),
            ),
        )

    def comparison_basis(self, election: str) -> str | None:
        """What the official count is compared with (see :func:`comparison_basis`)."""
        return self.memo(
            ("comparison-basis", election),
            lambda: comparison_basis(
                self.stages(election), lambda: self.tally(election, Stage.OFFICIAL)
            ),
        )

    def since(self, election: str, earlier: str) -> dict[str, Any]:
        """``election`` against the earlier election ``earlier`` at their official counts
        (``tallyroom compare EARLIER ELECTION --json``)."""
        return self.document(
            ("since", election, earlier),
            lambda: views.since(
                self.tally(earlier, final_stage(self.stages(earlier))),
                self.tally(election, final_stage(self.stages(election))),
            ),
        )

    def incomplete(self, election: str, stage: Stage) -> dict[str, Any] | None:
        """The candidates ``stage``'s returns leave out (see :func:`views.incomplete`)."""

        def find() -> dict[str, Any] | None:
            found = views.incomplete(self.tally(election, stage))
            return dumped(found) if found else None

        return self.memo(("incomplete", election, stage), find)

    def split_cells(self, election: str) -> list[SplitVote]:
        """The split-vote tables of ``election`` as stored (none for most elections).
        Stored cells are never changed, only added to, so they are read again only when
        their number changes."""
        return self.kept(
            ("split-cells", election),
            lambda: results.queries.split_vote_count(self.engine, election),
            lambda: results.queries.split_votes(self.engine, election),
        )

    def split_votes(self, election: str) -> dict[str, Any]:
        """The split-vote tables arranged for reading (``tallyroom split --json``), made
        again only when the cells or the naming of the electorates change."""
        cells = self.split_cells(election)
        if not cells:
            raise NotFoundError(f"election {election!r} has no split-vote tables stored")

        def naming() -> Naming:
            return Naming.of(self.tally(election, final_stage(self.stages(election))))

        return self.kept(
            ("split-votes", election),
            lambda: (len(cells), naming()),
            lambda: dumped(views.split_votes(split_tables(cells, naming()), election)),
        )

    def colours(self, election: str) -> dict[str, str]:
        """Party colours."""
        return self.memo(("colours", election), lambda: views.colours(self.party_records(election)))

    def projection(self, election: str) -> dict[str, Any]:
        """The projected final count from election night (:data:`SITE_DRAWS` draws)."""
        return self.document(
            ("projection", election),
            lambda: views.projection(self.tally(election, Stage.PRELIMINARY), draws=SITE_DRAWS),
        )

    def short_names(self, election: str) -> dict[str, str]:
        """Party names as people say them."""
        return self.memo(
            ("short", election), lambda: views.short_names(self.party_records(election))
        )

    def positions(self, election: str) -> dict[str, float | None]:
        """Party positions, left to right in the House."""
        return self.memo(
            ("positions", election), lambda: views.positions(self.party_records(election))
        )

    def table(self, election: str, stage: Stage, name: str) -> pl.DataFrame:
        """One downloadable table (see :mod:`tallyroom.publish.tables`)."""
        return self.memo(
            ("table", election, stage, name), lambda: tables.table(self, election, stage, name)
        )
