"""Election night against a real server process: many returning officers at once, and a
server killed mid-count. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import func, select

from tallyroom.datasets import bundled_path
from tallyroom.importers import tidy
from tallyroom.importers.formats import format_named
from tallyroom.importers.options import ReadOptions
from tallyroom.replay import ReplayReport, in_count_order, return_body, send_returns
from tallyroom.store import audit
from tallyroom.store import schema as t
from tallyroom.store.database import open_store
from tallyroom.store.imports import define
from tallyroom.store.users import Role, add_user
from tests.support.servers import TALLYROOM, serving, start_server
from tests.support.sizes import size

RETURNS = "/api/v1/elections/nz-2020/returns"
NIGHT = size(1_000, 3_000)
"""voting-place returns the fifty clients send"""


async def _submit_all(base: str, token: str, jobs: list[dict], clients: int) -> list[int]:
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    statuses: list[int] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60,
                                     headers={"Authorization": f"Bearer {token}"}) as http:  # fmt: skip
            while not queue.empty():
                job = queue.get_nowait()
                statuses.append((await http.post(RETURNS, json=job)).status_code)

    await asyncio.gather(*(client() for _ in range(clients)))
    return statuses


def test_fifty_clients_submit_returns_at_once(store_url: str, shared_data: Path) -> None:
    """Voting-place returns of the 2020 official count (3,000 at full size) and a fifth as
    many repeats, sent by 50 concurrent clients: every return stored once, as version 1,
    with exact totals."""
    engine = open_store(store_url)
    datasets = format_named("nz-official").read([shared_data / "nz" / "official" / "2020"],
                                                ReadOptions())  # fmt: skip
    define(engine, datasets)
    token = add_user(engine, "Chief Electoral Officer", Role.ADMIN)
    chosen = in_count_order(datasets)[:NIGHT]
    bodies = [return_body(r) for r in chosen]
    jobs = bodies + random.Random(2020).sample(bodies, NIGHT // 5)
    random.Random(17).shuffle(jobs)
    with serving("serve", "--db", store_url) as base:
        statuses = asyncio.run(_submit_all(base, token, jobs, clients=50))
    assert Counter(statuses) == {201: NIGHT, 200: NIGHT // 5}
    r = t.vote_return
    with engine.connect() as conn:
        keys = conn.execute(
            select(func.count(), func.max(r.c.version), func.sum(r.c.informal))
        ).one()
        per_key = conn.execute(
            select(func.count()).select_from(
                select(r.c.contest_id).group_by(r.c.contest_id, r.c.unit_id, r.c.stage,
                                                r.c.count_type).having(func.count() > 1).subquery()
            )
        ).scalar_one()  # fmt: skip
        votes = conn.execute(select(func.sum(t.vote_count.c.votes))).scalar_one()
    assert keys == (NIGHT, 1, sum(b["informal"] for b in bodies))
    assert per_key == 0  # no key stored twice
    assert votes == sum(sum(b["counts"].values()) for b in bodies)
    logged = Counter(e["outcome"] for e in audit.entries(engine, "nz-2020"))
    assert logged == {"accepted": NIGHT, "duplicate": NIGHT // 5}
    assert audit.verify(engine).intact


def test_killed_server_keeps_every_acknowledged_return(store_url: str) -> None:
    """SIGKILL the server mid-stream: every return it acknowledged is there after a
    restart, and the audit chain verifies."""
    engine = open_store(store_url)
    datasets = tidy.read([bundled_path("nz-2020")], ReadOptions())
    define(engine, datasets)
    token = add_user(engine, "Chief Electoral Officer", Role.ADMIN)
    bodies = [return_body(r) for r in in_count_order(datasets)]
    acknowledged: dict[int, dict] = {}
    process, base = start_server("serve", "--db", store_url)

    def send() -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
            for body in bodies:
                try:
                    response = http.post(RETURNS, json=body)
                except httpx.TransportError:
                    return  # the server is gone
                assert response.status_code == 201, response.text
                acknowledged[response.json()["return_id"]] = body

    sender = threading.Thread(target=send)
    sender.start()
    while len(acknowledged) < 150:
        sender.join(0.01)
    os.kill(process.pid, signal.SIGKILL)
    sender.join()
    process.wait()
    assert token not in (process.stdout.read() if process.stdout else "")  # never logged
    assert 150 <= len(acknowledged) < len(bodies)
    with (
        serving("serve", "--db", store_url) as restarted,
        httpx.Client(base_url=restarted, headers={"Authorization": f"Bearer {token}"}) as http,
    ):
        for return_id, body in acknowledged.items():
            again = http.post(RETURNS, json=body)
            assert again.status_code == 200 and again.json()["return_id"] == return_id
        rest = [http.post(RETURNS, json=b).status_code for b in bodies]
    # the rest are new; at most one more was stored but never acknowledged (in flight)
    assert set(rest) <= {200, 201} and len(acknowledged) <= rest.count(200) <= len(acknowledged) + 1
    assert audit.verify(engine).intact
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.vote_return)).scalar_one() == len(
            bodies
        )


def test_replay_command(tmp_path: Path) -> None:
    """`tallyroom replay` sends the bundled 2020 election through the API; the result is
    the official one, and running it again stores nothing new."""
    import subprocess

    url = f"sqlite:///{tmp_path / 'replay.db'}"
    token = add_user(open_store(url), "Chief Electoral Officer", Role.ADMIN)
    with serving("serve", "--db", url) as base:
        args = [TALLYROOM, "replay", "nz-2020", "--from", "nz-2020", "--url", base,
                "--speed", "0", "--db", url]  # fmt: skip
        first = subprocess.run(args, env={**os.environ, "TALLYROOM_TOKEN": token},
                               capture_output=True, text=True, check=True)  # fmt: skip
        assert "Done: 634 returns stored, 0 already there." in first.stdout
        seats = httpx.get(base + "/api/v1/elections/nz-2020/official/seats.json").json()
        night = httpx.get(base + "/api/v1/elections/nz-2020/preliminary/seats.json").json()
        again = subprocess.run(args, env={**os.environ, "TALLYROOM_TOKEN": token},
                               capture_output=True, text=True, check=True)  # fmt: skip
    assert seats["seats"] == {"Labour Party": 65, "National Party": 33, "Green Party": 10,
                              "ACT New Zealand": 10, "Māori Party": 2}  # fmt: skip
    assert (night["seats"]["Labour Party"], night["seats"]["National Party"]) == (64, 35)
    assert "Done: 0 returns stored, 634 already there." in again.stdout


def test_a_store_locked_too_long_answers_503_and_keeps_the_connection(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock past the store's timeout: the return gets
    503 with Retry-After and nothing is stored; sent again on the same connection once the
    lock is gone, it is stored. A replay waits such a lock out."""
    url = f"sqlite:///{tmp_path / 'store.db'}?timeout=0.3"
    engine = open_store(url)
    datasets = tidy.read([bundled_path("nz-2020")], ReadOptions())
    define(engine, datasets)
    token = add_user(engine, "Chief Electoral Officer", Role.ADMIN)
    body = return_body(in_count_order(datasets)[0])
    other = sqlite3.connect(tmp_path / "store.db", isolation_level=None, check_same_thread=False)
    with (
        serving("serve", "--db", url) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http,
    ):
        other.execute("BEGIN IMMEDIATE")  # the other process's write lock
        busy = http.post(RETURNS, json=body)
        other.execute("ROLLBACK")
        again = http.post(RETURNS, json=body)
        connections = http.get("/healthz").extensions["network_stream"]
        other.execute("BEGIN IMMEDIATE")  # a replay waits it out
        threading.Timer(1.5, other.execute, ["ROLLBACK"]).start()
        replayed = send_returns(in_count_order(datasets)[:3], "nz-2020", base, token, speed=0)
    other.close()
    assert replayed == ReplayReport(stored=2, already=1)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert "busy or unavailable" in busy.json()["detail"]
    assert again.status_code == 201, again.text
    assert busy.extensions["network_stream"] is again.extensions["network_stream"] is connections
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.vote_return)).scalar_one() == 3
