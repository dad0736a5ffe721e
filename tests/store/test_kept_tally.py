"""Summed votes kept between store generations (:class:`SummedRows`, as every server keeps
them) against the same sums made afresh, on the 2023 voting-place count: after each new
return, a correction, and a return for a contest never counted before, the kept rows are
the fresh rows, in the same order, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tallyroom.model import Dataset, Stage
from tallyroom.results import tally
from tallyroom.results.summed import SummedRows, flattened, summed_rows
from tallyroom.store.database import open_store, reading
from tallyroom.store.imports import SourceFile, import_datasets
from tests.support.servers import nz2023_night

ELECTION = "nz-2023"


@pytest.fixture(scope="module")
def halves(shared_data: Path) -> tuple[Dataset, Dataset]:
    """2023's ordinary votes as an election night: half of the voting places, and the other."""
    return nz2023_night(shared_data, 0)[0], nz2023_night(shared_data, 1)[0]


def test_kept_rows_are_the_fresh_rows_after_every_change(
    store_url: str, halves: tuple[Dataset, Dataset]
) -> None:
    first, second = halves
    engine = open_store(store_url)
    # every contest but the party vote: its first return comes in the middle
    counted_first = [r for r in first.returns if r.contest != "party"]
    import_datasets(engine, [replace(first, returns=counted_first)], SourceFile("tidy", "a", "a"))
    kept = SummedRows()

    def check() -> None:
        with reading(engine) as conn:
            fresh = flattened(summed_rows(conn, ELECTION, Stage.PRELIMINARY))
            assert kept.rows(conn, ELECTION, Stage.PRELIMINARY) == fresh
        assert (
            tally(engine, ELECTION, Stage.PRELIMINARY, kept).party_votes()
            == tally(engine, ELECTION, Stage.PRELIMINARY).party_votes()
        )

    def counts(code: str) -> dict[str, int]:
        counted = tally(engine, ELECTION, Stage.PRELIMINARY, kept)
        return counted.candidates[int(code.split(":")[1])].counts

    check()
    later = [r for r in second.returns if r.contest != "party"][:3]
    party = next(r for r in first.returns if r.contest == "party")
    corrected = replace(later[0], counts={c: v + 7 for c, v in later[0].counts.items()})
    steps = [(f"r{n}", [r], {}) for n, r in enumerate(later)]
    steps.append(("party", [party], {}))  # a contest the kept rows have never seen
    steps.append(("fix", [corrected], {"replace": True, "reason": "test: a corrected return"}))
    steps.append(("none", [], {}))  # nothing new: every contest kept
    for name, returns, how in steps:
        before = counts(corrected.contest)
        if returns:
            dataset = replace(first, returns=returns)
            import_datasets(engine, [dataset], SourceFile("tidy", name, name), **how)
        check()
        if name == "fix":  # the correction counts in place of the return it corrects
            assert counts(corrected.contest) == {c: v + 7 for c, v in before.items()}
    engine.dispose()
