"""Open a store: resolve its URL, connect, and bring its schema up to date.

The URL comes from ``--db``, else ``$TALLYROOM_DB``, else a SQLite file in the user's
data directory (``~/.local/share/tallyroom/tallyroom.db`` on Linux). SQLite runs in WAL
mode with foreign keys enforced.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).with_name("migrations")


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
    engine = create_engine(resolved)
    if resolved.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-131072")  # 128 MiB: big imports never spill mid-way
    cursor.close()


def migrate(engine: Engine) -> None:
    """Apply every migration not yet applied, in one transaction."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
