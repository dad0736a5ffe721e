"""An import killed halfway (SIGKILL) leaves the store as it was; re-running it completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tallyroom.model import Stage
from tallyroom.results import tally
from tallyroom.store.database import open_store
from tests.support.stores import fingerprint, import_files

TALLYROOM = str(Path(sys.executable).with_name("tallyroom"))


def writing_started(url: str) -> Callable[[], bool]:
    """A probe that turns true once the import's transaction has written to the store."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        wal = Path(f"{parsed.database}-wal")
        start = wal.stat().st_size if wal.exists() else 0
        return lambda: wal.exists() and wal.stat().st_size > start + 1_000_000
    watcher = create_engine(url)

    def inserting() -> bool:
        with watcher.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND datname = current_database() AND xact_start IS NOT NULL "
                "AND (query ILIKE 'COPY vote_%' OR query ILIKE 'INSERT INTO vote_%')")).scalar())  # fmt: skip

    return inserting


def test_sigkill_halfway_changes_nothing_and_rerun_completes(
    store_url: str, shared_data: Path
) -> None:
    engine = open_store(store_url)
    import_files(engine, "nz-tidy-2020",
                 [shared_data / "nz" / "2020" / "electorate-results-preliminary.csv"])  # fmt: skip
    before = fingerprint(engine)
    engine.dispose()
    official = str(shared_data / "nz" / "official" / "2020")
    probe = writing_started(store_url)
    process = subprocess.Popen([TALLYROOM, "import", "nz-official", official, "--db", store_url],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 60
    while not probe():
        if process.poll() is not None:
            pytest.fail(f"the import ended before it could be killed: {process.stderr.read()!r}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the import never started writing")
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    engine = open_store(store_url)
    assert fingerprint(engine) == before
    done = subprocess.run([TALLYROOM, "import", "nz-official", official, "--db", store_url],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    counted = tally(engine, "nz-2020", Stage.OFFICIAL)
    assert sum(c.valid for c in counted.candidates.values()) == 2_824_198
    assert counted.seats().seats()["Labour Party"] == 65


def test_a_store_from_another_version_is_refused_unchanged(tmp_path) -> None:
    """A store migrated by a tallyroom with migrations this one lacks (an upgrade rolled
    back) gets one clear error naming the store, and is left as it was."""
    import sqlite3

    from tallyroom.store.database import StoreVersionError

    path = tmp_path / "newer.db"
    open_store(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = path.read_bytes()
    with pytest.raises(StoreVersionError, match=r"newer\.db: the store was written by another"):
        open_store(f"sqlite:///{path}")
    assert path.read_bytes() == before
