"""Shared fixtures: the real published data, and stores on SQLite and on a throwaway
PostgreSQL cluster."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.data import shared_data_dir
from tests.support.postgres import new_postgres_database


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real official data. Missing data fails the test: a skipped check is not a pass."""
    path = shared_data_dir()
    if not (path / "nz").is_dir():
        pytest.fail(
            f"real election data not found at {path}; clone with ../shared beside the "
            "repository or set TALLYROOM_SHARED_DATA"
        )
    return path


# --- stores: every store test runs on SQLite and on a throwaway PostgreSQL cluster ----


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is not installed: run tools/test.sh, which installs it")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL cluster of its own on a free local port; yields its base URL."""
    bindir = _postgres_bin()
    data = Path(tempfile.mkdtemp(prefix="tallyroom-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(data, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_owner, *args], capture_output=True, text=True, check=False)
        if done.returncode:
            pytest.fail(f"{args[0]} failed: {done.stderr or done.stdout}")

    run(str(bindir / "initdb"), "-D", str(data / "db"), "-U", "tallyroom", "--auth=trust",
        "-E", "UTF8", "--no-sync")  # fmt: skip
    run(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log"), "-w", "-o",
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start")  # fmt: skip
    try:
        yield f"postgresql+psycopg://tallyroom@127.0.0.1:{port}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: a SQLite file, or a new database on the PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return new_postgres_database(request.getfixturevalue("postgres_server"))
