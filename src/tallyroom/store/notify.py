"""Tell every app server at once that the store has a new generation (PostgreSQL only).

A write that adds a return or decides a held correction calls :func:`announce` inside its
own transaction: PostgreSQL's ``NOTIFY`` is delivered to listeners only when that
transaction commits, and never if it rolls back, so a server that is told has the new
rows to read. Servers :func:`listen` on one connection each and, when told, look at the
store's generation (the notification carries only the election id: the generation itself
is always read from the store). SQLite has no such channel; its servers keep polling.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from sqlalchemy import Connection, Engine, text

CHANNEL = "tallyroom_generation"
RECONNECT_SECONDS = 0.5
"""how long a listener waits before it connects again after losing its connection"""

_LOG = logging.getLogger(__name__)


def announce(conn: Connection, election: str) -> None:
    """Inside a write transaction on ``conn``: once it commits, every listening server
    hears that ``election``'s store changed. Does nothing on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, :election)"),
                     {"channel": CHANNEL, "election": election})  # fmt: skip


def conninfo(engine: Engine) -> str | None:
    """The libpq connection string of ``engine``'s PostgreSQL store, or ``None`` on a store
    that cannot notify (SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(
    dsn: str, woken: Callable[[], None], connected: Callable[[bool], None] | None = None
) -> None:
    """Listen on :data:`CHANNEL` until cancelled, calling ``woken()`` for each notification
    and once after every (re)connection, since whatever was announced while the connection
    was down was not heard. ``connected(True/False)`` reports the connection's state, so
    the caller can poll while it is down. A lost connection (the database restarting) is
    made again every :data:`RECONNECT_SECONDS`."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                if connected:
                    connected(True)
                woken()
                async for _ in conn.notifies():
                    woken()
        except (psycopg.Error, OSError) as error:
            _LOG.warning("store notifications lost, reconnecting: %s", str(error).strip())
        if connected:
            connected(False)
        await asyncio.sleep(RECONNECT_SECONDS)
