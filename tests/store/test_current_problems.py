"""The database's screen of current returns never hides a broken rule.

:func:`~tallyroom.store.versions.current_problems` lets SQL flag the contests, stages and
places that might break a rule, then applies the rules to those alone. Here arbitrary
returns (any unit, count type, stage, version, held or not, votes around the ceiling and
the electors) are written straight into the tables, past every check, and the screened
answer must equal the rules applied to every current return, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select

from tallyroom.model import (
    Choice,
    Contest,
    ContestKind,
    CountType,
    Dataset,
    Election,
    Electorate,
    Party,
    Unit,
    UnitKind,
)
from tallyroom.store import schema as t
from tallyroom.store import versions
from tallyroom.store.database import open_store, writing
from tallyroom.store.imports import define
from tests.support.postgres import new_postgres_database
from tests.support.sizes import size

ELECTORS = 50
CEILING = 32
UNITS = [
    Unit("nation", UnitKind.NATION, "Nation"),
    *(Unit(f"electorate:{n}", UnitKind.ELECTORATE, f"Seat {n}", n) for n in (1, 2)),
    *(Unit(f"electorate:{n}/place:{p}", UnitKind.VOTING_PLACE, p, n) for n in (1, 2) for p in "ab"),
    *(Unit(f"electorate:{n}/special", UnitKind.SPECIAL_BATCH, "Specials", n) for n in (1, 2)),
]
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CONTESTS = ["party", "candidate:1", "referendum:x"]


def _dataset() -> Dataset:
    return Dataset(
        Election("screen", "Screen test", "2026-01-01"),
        [Electorate(n, f"Seat {n}", electors=ELECTORS) for n in (1, 2)],
        [Party("P")],
        UNITS,
        [
            Contest("party", ContestKind.PARTY, "Party vote"),
            Contest("candidate:1", ContestKind.CANDIDATE, "Seat 1", 1),
            Contest("referendum:x", ContestKind.REFERENDUM, "A question"),
        ],
        [Choice("party", "P", "P"), Choice("candidate:1", "C", "P"), Choice("referendum:x", "Yes")],
    )


returns = st.lists(
    st.tuples(
        st.sampled_from(CONTESTS),
        st.integers(0, len(UNITS) - 1),
        st.sampled_from(["preliminary", "official"]),
        st.sampled_from(list(CountType)),
        st.integers(1, 2),  # version
        st.booleans(),  # held for review
        st.sampled_from([None, "approved", "rejected"]),
        st.integers(0, 30),  # valid votes
        st.integers(0, 5),  # informal votes
    ),
    max_size=8,
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('screen') / 'store.db'}"
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_server"))
    engine = open_store(url)
    define(engine, [_dataset()])
    yield engine
    engine.dispose()


def _write(engine: Engine, rows: list[tuple]) -> tuple[list[int], list[str]]:
    """Replace every return with ``rows``, bypassing every check; the contest ids and
    stages written."""
    with writing(engine) as conn:
        for table in (t.review, t.vote_count, t.vote_return, t.source):
            conn.execute(delete(table))
        contests = dict(conn.execute(select(t.contest.c.code, t.contest.c.id)).all())
        units = dict(conn.execute(select(t.unit.c.code, t.unit.c.id)).all())
        choices = dict(conn.execute(select(t.choice.c.contest_id, t.choice.c.id)).all())
        source = conn.execute(
            t.source.insert().returning(t.source.c.id),
            {
                "election_id": "screen",
                "format": "test",
                "name": "t",
                "content_hash": "x",
                "imported_at": NOW,
                "reason": "",
            },
        ).scalar_one()
        seen = set()
        for i, (
            contest,
            unit,
            stage,
            count_type,
            version,
            held,
            review,
            valid,
            informal,
        ) in enumerate(rows, start=1):
            key = (contest, unit, stage, count_type, version)
            if key in seen:
                continue
            seen.add(key)
            conn.execute(
                t.vote_return.insert(),
                {
                    "id": i,
                    "contest_id": contests[contest],
                    "unit_id": units[UNITS[unit].code],
                    "stage": stage,
                    "count_type": count_type.value,
                    "version": version,
                    "source_id": source,
                    "informal": informal,
                    "held": int(held),
                },
            )
            if valid:
                conn.execute(
                    t.vote_count.insert(),
                    {"return_id": i, "choice_id": choices[contests[contest]], "votes": valid},
                )
            if review:
                conn.execute(
                    t.review.insert(),
                    {"return_id": i, "decision": review, "reviewer": "r", "at": NOW},
                )
        return sorted(contests.values()), ["official", "preliminary"]


@settings(
    max_examples=size(40, 400),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=returns, electorate=st.sampled_from([None, 1, 2]))
def test_the_screen_finds_every_problem_the_rules_find(
    engine: Engine, rows: list[tuple], electorate: int | None
) -> None:
    contests, stages = _write(engine, rows)
    with engine.connect() as conn:
        current = versions._current(contests, stages, electorate)
        every = conn.execute(select(current).order_by(current.c.id)).all()
        electors = {("screen", n): ELECTORS for n in (1, 2)}
        expected = versions._problems(every, CEILING, electors)
        found = versions.current_problems(conn, contests, stages, CEILING, electorate)
    assert found == expected
