"""Batch MMP (tallyroom.forecast.batch) against allocate_mmp, row by row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tallyroom.forecast.batch import _CHUNK_ROWS, BatchSeats, allocate_mmp_batch
from tallyroom.rules.errors import RulesError
from tallyroom.rules.mmp import allocate_mmp
from tallyroom.rules.systems import LEVELLING, NZ, NZ_REVIEW_2023, RuleSet

RULES = st.sampled_from([NZ, NZ_REVIEW_2023, LEVELLING]).flatmap(
    lambda r: st.sampled_from([r, r.with_changes(seats=7), r.with_changes(seats=20)])
)


@st.composite
def elections(draw: st.DrawFn) -> tuple:
    """A batch of elections over one set of parties. Votes come from a small pool of
    values so that equal votes, and so ties for the last seat, are common."""
    parties = draw(st.integers(2, 17))
    rows = draw(st.integers(1, 12))
    pool = draw(st.lists(st.integers(0, 5000), min_size=1, max_size=4))
    votes = [[draw(st.sampled_from([*pool, 0])) for _ in range(parties)] for _ in range(rows)]
    won = [[draw(st.integers(0, 2)) for _ in range(parties)] for _ in range(rows)]
    other = [draw(st.integers(0, 2)) for _ in range(rows)]
    return np.array(votes, dtype=np.int64), np.array(won, dtype=np.int64), np.array(other)


def test_a_known_election_row_by_row() -> None:
    """2023: Te Pāti Māori's overhang of two (party votes as declared, electorates won)."""
    votes = np.array([[1085851, 767540, 330907, 246473, 173553, 87844, 63344]])
    won = np.array([[43, 17, 3, 2, 0, 6, 0]])
    batch = allocate_mmp_batch(votes, won, NZ)
    assert batch.seats[0].tolist() == [48, 34, 15, 11, 8, 6, 0]
    assert batch.house_size.tolist() == [122]
    assert batch.overhang[0].tolist() == [0, 0, 0, 0, 0, 2, 0]


@settings(max_examples=300, deadline=None)
@given(elections(), RULES, st.integers(0, 2))
def test_batch_equals_allocate_mmp_row_by_row(election: tuple, rules, vacant: int) -> None:
    votes, won, other = election
    names = [f"p{i}" for i in range(votes.shape[1])]
    try:
        batch = allocate_mmp_batch(
            votes, won, rules, other_electorates=other, vacant_electorates=vacant
        )
    except RulesError:
        # the batch refuses only when some row is refused one by one
        with pytest.raises(RulesError):
            for row in range(votes.shape[0]):
                allocate_mmp(
                    dict(zip(names, votes[row].tolist(), strict=True)),
                    dict(zip(names, won[row].tolist(), strict=True)),
                    rules,
                    other_electorates=int(other[row]),
                    vacant_electorates=vacant,
                )
        return
    for row in range(votes.shape[0]):
        _assert_row_is_allocate_mmp(batch, row, votes, won, other, rules, vacant)


def _assert_row_is_allocate_mmp(
    batch: BatchSeats,
    row: int,
    votes: np.ndarray,
    won: np.ndarray,
    other: np.ndarray,
    rules: RuleSet,
    vacant: int = 0,
) -> None:
    """Row ``row`` of ``batch`` is what ``allocate_mmp`` gives for that election alone."""
    names = [f"p{i}" for i in range(votes.shape[1])]
    one = allocate_mmp(
        dict(zip(names, votes[row].tolist(), strict=True)),
        dict(zip(names, won[row].tolist(), strict=True)),
        rules,
        other_electorates=int(other[row]),
        vacant_electorates=vacant,
    )
    by_name = {p.party: p for p in one.parties}
    for i, name in enumerate(names):
        p = by_name[name]
        assert batch.seats[row, i] == p.total
        assert batch.entitlement[row, i] == p.entitlement
        assert batch.list_seats[row, i] == p.list_seats
        assert batch.overhang[row, i] == p.overhang
        assert batch.qualified[row, i] == p.qualified
    tied = {names[i] for i in np.flatnonzero(batch.tied[row])}
    assert tied == {q for t in one.ties for q in t.parties}
    assert batch.undecided[row] == one.undecided
    assert batch.house_size[row] == one.house_size
    assert batch.shared_seats[row] == one.shared_seats


def _many_elections(rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``rows`` 17-party elections drawn around 2023's party vote (parties near the
    5 % threshold and the one-electorate lifeline among them), seeded."""
    rng = np.random.default_rng(7)
    shares = np.array([38.1, 26.9, 11.6, 8.6, 6.1, 3.1, 2.2, 1.2, 0.6, 0.5, *[0.2] * 7])
    votes = rng.multinomial(2_850_000, shares / shares.sum(), size=rows)
    won = np.zeros_like(votes)
    won[:, :6] = [43, 17, 3, 2, 0, 6]
    won[:, 7] = rng.integers(0, 2, size=rows)  # a lifeline under the threshold, some rows
    return votes, won, rng.integers(0, 2, size=rows)


def test_rows_across_chunks_and_threads_are_allocate_mmp() -> None:
    """More rows than fit in one chunk, on two threads: the rows either side of each
    chunk boundary, the last row and a sample of the rest equal ``allocate_mmp``."""
    rows = 2 * _CHUNK_ROWS + 5
    votes, won, other = _many_elections(rows)
    batch = allocate_mmp_batch(votes, won, NZ, other_electorates=other, workers=2)
    boundaries = {_CHUNK_ROWS - 1, _CHUNK_ROWS, 2 * _CHUNK_ROWS - 1, 2 * _CHUNK_ROWS, rows - 1}
    sample = np.random.default_rng(1).choice(rows, size=40, replace=False).tolist()
    for row in sorted(boundaries | set(sample)):
        _assert_row_is_allocate_mmp(batch, row, votes, won, other, NZ)
    serial = allocate_mmp_batch(votes, won, NZ, other_electorates=other, workers=1)
    assert np.array_equal(batch.seats, serial.seats)
    assert np.array_equal(batch.house_size, serial.house_size)


def test_a_refusal_in_a_later_chunk_names_its_row() -> None:
    votes, won, other = _many_elections(_CHUNK_ROWS + 10)
    votes[_CHUNK_ROWS + 3] = 0
    with pytest.raises(RulesError, match=f"row {_CHUNK_ROWS + 3} has no party votes"):
        allocate_mmp_batch(votes, won, NZ, other_electorates=other, workers=2)


def test_ties_are_flagged_not_settled() -> None:
    """Two equal parties, one seat left between them: the seat stays undecided."""
    batch = allocate_mmp_batch(np.array([[100, 100]]), np.array([[0, 0]]), NZ.with_changes(seats=3))
    assert batch.tied[0].tolist() == [True, True]
    assert batch.undecided.tolist() == [1]
    assert batch.house_size.tolist() == [3]


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(RulesError, match="shape"):
        allocate_mmp_batch(np.ones((2, 3), dtype=int), np.zeros((2, 2), dtype=int))
    with pytest.raises(RulesError, match="whole numbers"):
        allocate_mmp_batch(np.ones((2, 3)), np.zeros((2, 3), dtype=int))
