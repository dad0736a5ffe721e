"""Helpers for the website tests: stores with the 2020 election, whole or in part, a store
with hostile text in every field, and a real server process on a free port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
from sqlalchemy import Engine, select

from tallyroom.datasets import bundled_path, load_bundled
from tallyroom.importers import tidy
from tallyroom.importers.options import ReadOptions
from tallyroom.model import (
    Choice,
    Contest,
    ContestKind,
    CountType,
    Dataset,
    Election,
    Electorate,
    Party,
    Return,
    Stage,
    Unit,
    UnitKind,
)
from tallyroom.store import schema as t
from tallyroom.store.database import open_store
from tallyroom.store.imports import SourceFile, import_datasets
from tallyroom.store.versions import is_latest

TALLYROOM = str(Path(sys.executable).with_name("tallyroom"))
SCRIPT = '<script>alert("candidate")</script>'
FORMULA = '=HYPERLINK("http://example.invalid","click me")'
TAG = "<img src=x onerror=alert(1)>"
KING, PRIME = "KING, Ronald Matthew", "PRIME, Willow-Jean"
"""Northland 2020's runner-up and winner"""


def nz2020_store(url: str) -> str:
    """Load the bundled 2020 election into the store at ``url``; returns ``url``."""
    load_bundled(open_store(url), "nz-2020")
    return url


def nz2020_returns(keep: Callable[[Return], bool]) -> list[Dataset]:
    """The bundled 2020 datasets with only the returns ``keep`` accepts."""
    datasets = tidy.read([bundled_path("nz-2020")], ReadOptions())
    return [replace(d, returns=[r for r in d.returns if keep(r)]) for d in datasets]


def store_returns(url: str, datasets: list[Dataset], name: str) -> None:
    """Store ``datasets`` as a source called ``name`` (one transaction)."""
    import_datasets(open_store(url), datasets, SourceFile("tidy", name, name))


def hostile_store(url: str) -> str:
    """A small election whose names are markup, script and spreadsheet formulas."""
    election = Election("hostile", f"{TAG} election", "2026-01-01")
    parties = [
        Party(FORMULA, colour='red" onmouseover="alert(1)'),
        Party("Plain Party", colour="#123"),
    ]
    electorates = [Electorate(1, TAG, code="H1", hex_u=0, hex_v=0),
                   Electorate(2, "Plainfield", code="P2", hex_u=2, hex_v=0)]  # fmt: skip
    units = [Unit(f"electorate:{n}", UnitKind.ELECTORATE, e.name, n)
             for n, e in enumerate(electorates, 1)]  # fmt: skip
    contests = [Contest("party", ContestKind.PARTY, "Party vote")] + [
        Contest(f"candidate:{n}", ContestKind.CANDIDATE, f"Electorate {n}", n) for n in (1, 2)
    ]
    choices = [Choice("party", p.name, p.name) for p in parties] + [
        Choice(f"candidate:{n}", name, party)
        for n in (1, 2)
        for name, party in ((SCRIPT, FORMULA), (f"-{n} SUM(A1)", "Plain Party"))
    ]
    returns = [
        Return("party", f"electorate:{n}", Stage.OFFICIAL, CountType.ALL,
               {FORMULA: 600 + n, "Plain Party": 400}, 3)
        for n in (1, 2)
    ] + [
        Return(f"candidate:{n}", f"electorate:{n}", Stage.OFFICIAL, CountType.ALL,
               {SCRIPT: 500, f"-{n} SUM(A1)": 480 + 40 * n}, 2)
        for n in (1, 2)
    ]  # fmt: skip
    dataset = Dataset(election, electorates, parties, units, contests, choices, returns)
    import_datasets(open_store(url), [dataset], SourceFile("test", "hostile", "hostile"))
    return url


def free_port() -> int:
    """A TCP port nobody is listening on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(*args: str) -> tuple[subprocess.Popen, str]:
    """Start ``tallyroom ARGS --port P`` and wait until it answers; returns it and its URL."""
    port = free_port()
    return start_answering([TALLYROOM, *args, "--port", str(port)], port)


def start_answering(
    command: list[str], port: int, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """Start ``command`` (a server on ``port``) and wait until its ``/healthz`` answers;
    returns it and its URL."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not answer within 30 s")


@contextmanager
def serving(*args: str) -> Iterator[str]:
    """Run ``tallyroom ARGS --port P`` until the block ends; yields its base URL."""
    process, base = start_server(*args)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def nz2023_night(shared_data: Path, half: int) -> list[Dataset]:
    """2023's ordinary votes as an election-night count, ``half`` 0 or 1 of every
    electorate's voting places (alternate places in code order). 2023 has no
    election-night file; its official ordinary votes stand in for it."""
    from tallyroom.importers import nz_official

    data = nz_official.read([shared_data / "nz" / "official" / "2023"], ReadOptions())[0]
    ordinary = [r for r in data.all_returns() if not r.count_type.is_special]
    places: dict[str, list[str]] = {}
    for unit in sorted({r.unit for r in ordinary}):
        places.setdefault(unit.split("/")[0], []).append(unit)
    chosen = {u for units in places.values() for u in units[half::2]}
    night = [replace(r, stage=Stage.PRELIMINARY) for r in ordinary if r.unit in chosen]
    return [replace(data, table=None, returns=night)]


def northland_special(engine: Engine) -> tuple[int, dict[str, int], int]:
    """Northland's counted official special-vote candidate return: id, counts, informal."""
    r, c, u = t.vote_return, t.contest, t.unit
    with engine.connect() as conn:
        row = conn.execute(
            select(r.c.id, r.c.informal)
            .join(c, r.c.contest_id == c.c.id)
            .join(u, r.c.unit_id == u.c.id)
            .where(
                c.c.election_id == "nz-2020",
                c.c.code == "candidate:32",
                u.c.code == "electorate:32",
                r.c.stage == "official",
                r.c.count_type == "special",
                is_latest(),
            )
        ).one()
        counts = dict(
            conn.execute(
                select(t.choice.c.name, t.vote_count.c.votes)
                .join(t.choice, t.vote_count.c.choice_id == t.choice.c.id)
                .where(t.vote_count.c.return_id == row.id)
            ).all()
        )
    return row.id, counts, row.informal


def northland_correction(engine: Engine, king_extra: int, reason: str = "recounted batch") -> dict:
    """A correction of that return giving KING ``king_extra`` more votes (200 flips the
    electorate to him, so it is held for a second admin)."""
    return_id, counts, informal = northland_special(engine)
    counts = {**counts, KING: counts[KING] + king_extra}
    return {
        "contest": "candidate:32",
        "unit": "electorate:32",
        "stage": "official",
        "count_type": "special",
        "counts": counts,
        "informal": informal,
        "supersedes": return_id,
        "reason": reason,
    }
