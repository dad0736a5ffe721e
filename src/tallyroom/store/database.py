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
from alembic.util import CommandError
from platformdirs import user_data_dir
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from tallyroom.errors import ConflictError, UnavailableError

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


class StoreVersionError(ConflictError):
    """The store's schema is at a migration this version of tallyroom does not have."""


class StoreUnavailableError(UnavailableError):
    """The store URL is not one tallyroom can use, or the store cannot be reached."""


URL_FORMS = "sqlite:///PATH.db or postgresql+psycopg://USER@HOST[:PORT]/DBNAME"


def open_store(url: str | None = None) -> Engine:
    """An engine on the store at ``url`` (see :func:`database_url`), migrated to the latest.

    A URL of another form or database, or a store that cannot be reached, raises
    :class:`StoreUnavailableError` naming the URL (password hidden) and the reason.
    """
    text = database_url(url)
    try:
        resolved = make_url(text)
    except ArgumentError:
        raise StoreUnavailableError(f"store URL {text!r} is not a URL; give {URL_FORMS}") from None
    shown = resolved.render_as_string(hide_password=True)
    backend = resolved.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreUnavailableError(
            f"store URL {shown}: tallyroom keeps results in SQLite or PostgreSQL, not {backend}; "
            f"give {URL_FORMS}"
        )
    try:
        engine = _engine(resolved)
        migrate(engine)
    except (ImportError, NoSuchModuleError) as error:
        raise StoreUnavailableError(
            f"store URL {shown}: its database driver is not installed ({error}); give {URL_FORMS}"
        ) from None
    except (OperationalError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise StoreUnavailableError(f"store URL {shown}: cannot open the store: {reason}") from None
    return engine


def _engine(resolved: URL) -> Engine:
    """An engine on ``resolved``; on SQLite with the busy timeout, pragmas and writer turns."""
    if resolved.get_backend_name() != "sqlite":
        return create_engine(resolved)
    if resolved.database not in (None, "", ":memory:"):
        Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
    wait = {} if "timeout" in resolved.query else {"timeout": SQLITE_BUSY_TIMEOUT}
    engine = create_engine(resolved, connect_args=wait)
    event.listen(engine, "connect", _sqlite_pragmas)
    _writer_turns[engine] = threading.Lock()
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


def refresh_statistics(conn: Connection) -> None:
    """Have PostgreSQL sample the tables again at the end of a bulk write, within its
    transaction (so the statistics commit, or roll back, with the rows). Its planner
    otherwise plans from the tables as they were (empty, for a new store) until autovacuum
    analyses them a minute or more later, and meanwhile picks nested loops: on the 2020
    official count, the progress query took 48 ms instead of 3 ms, on every server after
    every return. SQLite keeps no statistics unless asked, and its plans are chosen
    without them, so it is left as it is."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE")


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged return survives power loss
    cursor.execute("PRAGMA cache_size=-131072")  # 128 MiB: big imports never spill mid-way
    cursor.close()


def migrate(engine: Engine) -> None:
    """Apply every migration not yet applied, in one transaction. A store migrated by a
    version of tallyroom this one does not know is refused, unchanged."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writing(engine) as connection:
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
        except CommandError as error:
            raise StoreVersionError(
                f"{engine.url.render_as_string(hide_password=True)}: the store was written by "
                f"another version of tallyroom ({error}); use that version, or another --db"
            ) from None
