"""Open a store: resolve its URL, connect, and bring its schema up to date.

The URL comes from ``--db``, else ``$TALLYROOM_DB``, else a SQLite file in the user's
data directory (``~/.local/share/tallyroom/tallyroom.db`` on Linux). SQLite runs in WAL
mode with foreign keys enforced and ``synchronous=FULL``: a commit is on disk before it
is acknowledged, so an acknowledged return survives a power cut.

Every write goes through :func:`writing`. On SQLite the writers of one process take turns
on a lock before they ask SQLite for its write lock: SQLite's own wait polls with growing
sleeps, so with dozens of writers queued (election night) one of them could sleep past the
busy timeout and fail, although the store was never stuck. SQLite's timeout (30 s) then
only governs waits on other processes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from platformdirs import user_data_dir
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT = 30.0
"""seconds a SQLite writer waits for another process's write to finish, unless the URL
says otherwise (``sqlite:///store.db?timeout=5``)"""

_writer_turns: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()


def database_url(explicit: str | None = None) -> str:
    """The store's URL: the explicit one, ``$TALLYROOM_DB``, or the per-user SQLite file."""
    if explicit:
        return explicit
    if os.environ.get("TALLYROOM_DB"):
        return os.environ["TALLYROOM_DB"]
    return f"sqlite:///{Path(user_data_dir('tallyroom')) / 'tallyroom.db'}"


def open_store(url: str | None = None) -> Engine:
    """An engine on the store at ``url`` (see :func:`database_url`), migrated to the latest."""
    resolved = make_url(database_url(url))
    if resolved.get_backend_name() == "sqlite" and resolved.database not in (None, "", ":memory:"):
        Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
    if resolved.get_backend_name() == "sqlite":
        wait = {} if "timeout" in resolved.query else {"timeout": SQLITE_BUSY_TIMEOUT}
        engine = create_engine(resolved, connect_args=wait)
        event.listen(engine, "connect", _sqlite_pragmas)
        _writer_turns[engine] = threading.Lock()
    else:
        engine = create_engine(resolved)
    migrate(engine)
    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction on ``engine``, committed at the end of the block (rolled back on
    an exception). SQLite writers of this process wait their turn first; PostgreSQL
    queues them itself."""
    with _writer_turns.get(engine, nullcontext()), engine.begin() as conn:
        yield conn


@contextmanager
def reading(store: Engine | Connection) -> Iterator[Connection]:
    """A connection to read from: ``store`` itself when it is one (its transaction sees
    its own writes), else a new connection of the engine."""
    if isinstance(store, Connection):
        yield store
        return
    with store.connect() as conn:
        yield conn


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged return survives power loss
    cursor.execute("PRAGMA cache_size=-131072")  # 128 MiB: big imports never spill mid-way
    cursor.close()


def migrate(engine: Engine) -> None:
    """Apply every migration not yet applied, in one transaction."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writing(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
