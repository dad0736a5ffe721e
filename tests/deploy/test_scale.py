"""Several app servers on one PostgreSQL store behind nginx, as deploy/ configures them,
all real processes on loopback: returns written through one server are seen through the
other and through nginx (pushed by LISTEN/NOTIFY); an app server killed under load is
routed around with nothing acknowledged lost; PostgreSQL restarted during submissions
gives 503 with Retry-After, then everything resumes. The audit chain verifies after all
of it."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tallyroom.datasets import bundled_path
from tallyroom.importers import tidy
from tallyroom.importers.options import ReadOptions
from tallyroom.replay import in_count_order, return_body
from tallyroom.store import schema as t
from tallyroom.store.audit import verify
from tallyroom.store.database import open_store
from tallyroom.store.imports import define
from tallyroom.store.users import Role, add_user
from tests.support.scale import (
    UNITS,
    Cluster,
    render_nginx,
    start_app_server,
    start_nginx,
    unit_here,
)
from tests.support.servers import TALLYROOM, free_port

ELECTION = "nz-2020"
RETURNS = f"/api/v1/elections/{ELECTION}/returns"
SUMMARY = f"/api/v1/elections/{ELECTION}/preliminary/summary.json"
SEEN_WITHIN = 10.0
"""seconds a test waits for a return to be visible (the 200 ms bound is bench/scale.py's)"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """PostgreSQL with the 2020 election defined, two app servers and nginx in front."""
    cluster = Cluster()
    processes: list[subprocess.Popen] = []
    try:
        engine = open_store(cluster.url)
        datasets = tidy.read([bundled_path(ELECTION)], ReadOptions())
        define(engine, datasets)
        token = add_user(engine, "Chief Electoral Officer", Role.ADMIN)
        servers = [start_app_server(cluster.url) for _ in range(2)]
        processes += [process for process, _ in servers]
        prefix = tmp_path_factory.mktemp("nginx")
        listen = free_port()
        ports = [int(base.rsplit(":", 1)[1]) for _, base in servers]
        config = render_nginx(ports, listen, free_port(), prefix / "mirror", prefix)
        nginx = f"http://127.0.0.1:{listen}"
        processes.append(start_nginx(config, nginx))
        yield {
            "cluster": cluster,
            "engine": engine,
            "returns": in_count_order(datasets),
            "auth": {"Authorization": f"Bearer {token}"},
            "servers": servers,
            "nginx": nginx,
        }
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
        cluster.remove()


def _generation(base: str) -> str | None:
    response = httpx.get(base + SUMMARY, timeout=5)
    return response.headers.get("etag") if response.status_code == 200 else None


def _wait_for(base: str, etag: str) -> None:
    deadline = time.monotonic() + SEEN_WITHIN
    while _generation(base) != etag:
        assert time.monotonic() < deadline, f"{base} never served {etag}"
        time.sleep(0.02)


def _events(base: str, seen: list[int], stop: threading.Event) -> None:
    with httpx.stream("GET", f"{base}/api/v1/elections/{ELECTION}/events", timeout=30) as s:
        for line in s.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:])["generation"])
            if stop.is_set():
                return


def test_a_return_through_one_server_is_seen_through_the_other_and_nginx(site) -> None:
    (_, one), (_, other) = site["servers"]
    seen: list[int] = []
    stop = threading.Event()
    listener = threading.Thread(target=_events, args=(other, seen, stop), daemon=True)
    listener.start()
    for r in site["returns"][:3]:
        response = httpx.post(one + RETURNS, json=return_body(r), headers=site["auth"])
        assert response.status_code == 201, response.text
        generation = response.json()["return_id"]
        for base in (other, site["nginx"]):
            _wait_for(base, f'W/"{generation}"')
        deadline = time.monotonic() + SEEN_WITHIN
        while generation not in seen:  # the other server's event stream was pushed it
            assert time.monotonic() < deadline
            time.sleep(0.02)
    stop.set()
    ready = httpx.get(other + "/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    metrics = httpx.get(other + "/metrics").text
    assert "tallyroom_event_stream_clients 1.0" in metrics
    assert f"tallyroom_store_generation {generation}.0" in metrics
    assert httpx.get(site["nginx"] + "/metrics").status_code == 200  # from this machine


def _submit(base: str, auth: dict, r, key: str, answers: list[int]) -> int:
    """Send one return until it is acknowledged, as a returning officer's client does:
    the same body and Idempotency-Key again after a failure, waiting as told."""
    for _ in range(200):
        try:
            response = httpx.post(base + RETURNS, json=return_body(r), timeout=10,
                                  headers={**auth, "Idempotency-Key": key})  # fmt: skip
        except httpx.TransportError:
            answers.append(0)
            time.sleep(0.1)
            continue
        answers.append(response.status_code)
        if response.status_code in (200, 201):
            return response.json()["return_id"]
        if response.status_code == 503:
            assert response.headers["Retry-After"]
            time.sleep(min(float(response.headers["Retry-After"]), 0.3))
            continue
        time.sleep(0.1)
    raise AssertionError(f"never acknowledged: {answers[-5:]}")


def _stored_ids(site) -> set[int]:
    with site["engine"].connect() as conn:
        return set(conn.execute(select(t.vote_return.c.id)).scalars())


def test_a_killed_app_server_is_routed_around_and_nothing_acknowledged_is_lost(site) -> None:
    batch = site["returns"][10:70]
    acknowledged: list[int] = []
    answers: list[int] = []
    reads: list[int] = []
    done = threading.Event()

    def writer(part: list) -> None:
        for n, r in enumerate(part):
            acknowledged.append(_submit(site["nginx"], site["auth"], r, f"kill-{id(part)}-{n}",
                                        answers))  # fmt: skip

    def reader() -> None:
        while not done.is_set():
            reads.append(httpx.get(site["nginx"] + SUMMARY, timeout=10).status_code)

    threads = [threading.Thread(target=writer, args=(batch[i::2],)) for i in range(2)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    while len(acknowledged) < 15:
        time.sleep(0.01)
    victim, _ = site["servers"][0]
    victim.kill()
    victim.wait()
    for thread in threads[:2]:
        thread.join(timeout=120)
    done.set()
    threads[2].join(timeout=30)
    assert len(acknowledged) == len(batch)
    assert set(acknowledged) <= _stored_ids(site)
    assert reads and set(reads) == {200}, "nginx sent readers to the dead server"
    survivor = site["servers"][1][1]
    _wait_for(site["nginx"], f'W/"{max(_stored_ids(site))}"')
    assert _generation(survivor) == f'W/"{max(_stored_ids(site))}"'
    check = verify(site["engine"])
    assert check.intact, check.problems


def test_postgresql_restarting_gives_503_then_resumes_with_nothing_lost(site) -> None:
    base = site["nginx"]
    batch = site["returns"][100:130]
    acknowledged: list[int] = []
    answers: list[int] = []

    def writer() -> None:
        for n, r in enumerate(batch):
            acknowledged.append(_submit(base, site["auth"], r, f"restart-{n}", answers))

    thread = threading.Thread(target=writer)
    thread.start()
    while len(acknowledged) < 5:
        time.sleep(0.01)
    site["cluster"].stop()
    deadline = time.monotonic() + 30
    while 503 not in answers:
        assert time.monotonic() < deadline, "no 503 while the store was down"
        time.sleep(0.05)
    survivor = site["servers"][1][1]
    assert httpx.get(survivor + "/readyz").status_code == 503
    assert httpx.get(survivor + "/healthz").status_code == 200  # alive, not ready
    time.sleep(1)
    site["cluster"].start()
    site["engine"].dispose()  # the test's own connections died with the server
    thread.join(timeout=120)
    assert len(acknowledged) == len(batch)
    assert set(acknowledged) <= _stored_ids(site)
    assert httpx.get(survivor + "/readyz").status_code == 200
    _wait_for(survivor, f'W/"{max(_stored_ids(site))}"')  # its listener reconnected
    verified = subprocess.run([TALLYROOM, "audit", "verify", "--db", site["cluster"].url],
                              capture_output=True, text=True, check=False)  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    """``systemd-analyze verify`` accepts deploy/'s units as installed (every directive
    known and well formed, every command executable); the app servers above are run with
    the unit's own command line."""
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(unit_here(unit.name))
    instances = ["tallyroom@8001.service", "tallyroom-mirror@nz-2023.service", "tallyroom.target"]
    assert {re.sub(r"@[^.]+", "@", i) for i in instances} == {u.name for u in UNITS.iterdir()}
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(f"./{i}" for i in instances)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0 and checked.stderr == checked.stdout == "", checked.stderr
    broken = unit_here("tallyroom@.service").replace("Restart=always", "Restart=sometimes")
    (tmp_path / "tallyroom@.service").write_text(broken)
    refused = subprocess.run(["systemd-analyze", "verify", "--man=no", "./tallyroom@8001.service"],
                             cwd=tmp_path, capture_output=True, text=True, check=False)  # fmt: skip
    assert "restart specifier" in refused.stderr  # a mistake in a unit is seen
