"""``tallyroom publish-static --watch``: the static mirror follows the count. A reader
polling its JSON while returns arrive only ever sees whole files, each of one generation,
and after the last return the mirror is exactly a fresh ``export-site``."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

from tallyroom.model import Stage
from tallyroom.publish.export import export_site
from tallyroom.publish.site import Site, store_generation, to_json
from tallyroom.store.database import open_store
from tests.support.servers import TALLYROOM, nz2020_returns, store_returns

ELECTION = "nz-2020"
API = f"api/v1/elections/{ELECTION}/preliminary"
WATCHED = [f"{API}/summary.json", f"{API}/parties.json", f"{API}/electorates.json"]
LATE = ["electorate:1", "electorate:2", "electorate:3"]
"""the units whose election-night returns arrive while the mirror is watched"""


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _summary(url: str) -> bytes:
    return to_json(Site(open_store(url)).summary(ELECTION, Stage.PRELIMINARY))


def test_the_mirror_follows_the_count_whole_files_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    night = lambda r: r.stage is Stage.PRELIMINARY  # noqa: E731
    store_returns(url, nz2020_returns(lambda r: not night(r) or r.unit not in LATE), "early")
    engine = open_store(url)
    published = {_summary(url)}
    mirror = tmp_path / "mirror"
    log = (tmp_path / "watch.log").open("w+")
    watching = subprocess.Popen(
        [TALLYROOM, "publish-static", ELECTION, str(mirror), "--watch", "--db", url],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    reads: list[int] = []
    problems: list[str] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            for name in WATCHED:
                try:
                    body = (mirror / name).read_bytes()
                except FileNotFoundError:
                    continue  # the first pass has not written it yet
                try:
                    data = json.loads(body)
                except ValueError:
                    problems.append(f"{name}: not whole JSON ({len(body)} bytes)")
                    continue
                reads.append(len(body))
                if name.endswith("summary.json"):
                    if data["valid_party_votes"] != sum(p["votes"] for p in data["party_votes"]):
                        problems.append("summary.json: its party votes do not add up")
                    if body not in published:
                        problems.append("summary.json: of no generation the store had")

    def wait_for_pass(generation: int) -> None:
        deadline = time.monotonic() + 60
        while f"generation {generation}:" not in Path(log.name).read_text():
            assert watching.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.1)

    polling = threading.Thread(target=reader)
    polling.start()
    try:
        wait_for_pass(store_generation(engine))
        for unit in LATE:
            store_returns(url, nz2020_returns(lambda r, u=unit: night(r) and r.unit == u), unit)
            published.add(_summary(url))
            wait_for_pass(store_generation(engine))
    finally:
        done.set()
        polling.join()
        watching.terminate()
        watching.wait(timeout=10)
    output = Path(log.name).read_text()
    assert problems == []
    assert len(reads) > 10
    passes = [line for line in output.splitlines() if line.startswith("generation ")]
    assert len(passes) == 1 + len(LATE), output
    assert all("0 removed" in line for line in passes)
    assert all(" 0 files written" not in line for line in passes[1:]), output
    assert not list(mirror.rglob(".*.tmp"))
    fresh = tmp_path / "fresh"
    export_site(Site(engine), ELECTION, fresh)
    assert _files(mirror) == _files(fresh)
