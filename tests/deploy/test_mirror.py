"""``tallyroom publish-static --watch``: the static mirror follows the count. A reader
polling its JSON while returns arrive only ever sees whole files, each of one generation,
and after the last return the mirror is exactly a fresh ``export-site``. What a pass keeps
from the one before (an electorate no return touched, a page whose figures did not
change) is checked against a fresh site after returns, a held correction and its
approval, and a return rewrites its own electorate's files and the national ones only."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from pathlib import Path

from tallyroom.model import CountType, Stage
from tallyroom.publish.export import documents, export_site
from tallyroom.publish.mirror import Mirror
from tallyroom.publish.site import Site, store_generation, to_json
from tallyroom.store.database import open_store
from tallyroom.store.review import decide_held
from tallyroom.store.submit import Submission, submit
from tallyroom.store.users import Role, add_user, authenticate
from tests.support.servers import (
    TALLYROOM,
    northland_correction,
    nz2020_returns,
    store_returns,
)

ELECTION = "nz-2020"
API = f"api/v1/elections/{ELECTION}/preliminary"
WATCHED = [f"{API}/summary.json", f"{API}/parties.json", f"{API}/electorates.json"]
LATE = ["electorate:1", "electorate:2", "electorate:3"]
"""the units whose election-night returns arrive while the mirror is watched"""
COMPLETE = "electorate:4"
"""Hunua, whose election-night return names all its candidates (so the night's note on
missing candidates, on every page, stays as it was when it arrives)"""


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


def _rewritten(mirror: Mirror) -> set[str]:
    """The files one pass of ``mirror`` rewrites, after checking that every file it holds
    is what a site made afresh from the store makes."""
    before = dict(mirror.digests)
    mirror.site.refresh()
    mirror.update()
    fresh = dict(documents(Site(mirror.site.engine), ELECTION))
    held = {f"/{p}": (mirror.out / p).read_bytes() for p in map(str, mirror.digests)}
    stale = [p for p, make in fresh.items() if held.get(p) != make()]
    assert stale == [], f"{len(stale)} files differ from a fresh site, e.g. {stale[:5]}"
    return {str(p) for p, digest in mirror.digests.items() if before.get(p) != digest}


def test_a_pass_remakes_what_changed_and_keeps_the_rest_as_a_fresh_site_has_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    night = lambda r: r.stage is Stage.PRELIMINARY  # noqa: E731
    store_returns(url, nz2020_returns(lambda r: not night(r) or r.unit != COMPLETE), "early")
    engine = open_store(url)
    mirror = Mirror(Site(engine), ELECTION, tmp_path / "mirror")
    mirror.update()

    store_returns(url, nz2020_returns(lambda r: night(r) and r.unit == COMPLETE), "Hunua")
    rewritten = _rewritten(mirror)
    electorates = {p for p in rewritten if re.search(r"/electorates/\d", p)}
    assert electorates == {
        f"{API}/electorates/4.json",
        f"elections/{ELECTION}/preliminary/electorates/4/index.html",
    }, sorted(electorates)
    assert {f"{API}/summary.json", f"elections/{ELECTION}/preliminary/index.html"} < rewritten
    assert not any("/official/" in p for p in rewritten)  # the other stage as it was

    chief, deputy = (
        authenticate(engine, add_user(engine, name, Role.ADMIN))
        for name in ("Chief Electoral Officer", "Deputy Electoral Officer")
    )
    body = northland_correction(engine, 200)  # flips Northland: held for a second admin
    body["count_type"] = CountType(body["count_type"])
    held = submit(engine, chief, Submission(ELECTION, stage=Stage.OFFICIAL, **{
        k: v for k, v in body.items() if k != "stage"
    }))  # fmt: skip
    assert held.held
    under_review = _rewritten(mirror)  # every page now says a correction is under review
    assert f"elections/{ELECTION}/official/electorates/32/index.html" in under_review
    assert f"api/v1/elections/{ELECTION}/official/electorates/32.json" not in under_review

    decide_held(engine, deputy, ELECTION, held.return_id, "approved", "checked the batch")
    approved = _rewritten(mirror)  # a review decision, and no new return
    assert f"api/v1/elections/{ELECTION}/official/electorates/32.json" in approved
    northland = json.loads(
        (mirror.out / f"api/v1/elections/{ELECTION}/official/electorates/32.json").read_text()
    )
    assert northland["winner"] == "KING, Ronald Matthew"
