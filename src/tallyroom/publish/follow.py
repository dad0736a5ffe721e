"""How a server keeps up with returns that other servers write to the same store.

On PostgreSQL every server listens for the notification that a write sends in its own
transaction (:mod:`tallyroom.store.notify`), so a return stored through one server is
seen by all within a round trip; a slow poll stays on in case a notification is lost with
its connection. On SQLite, or while the listening connection is down (the database
restarting), the server polls the store's generation often instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from sqlalchemy import Engine

from tallyroom.store import notify

POLL_SECONDS = 0.1
"""how often a server that is not notified looks at the store's generation"""
SAFETY_SECONDS = 5.0
"""how often a notified server looks anyway"""


async def follow(engine: Engine, check: Callable[[], Awaitable[None]]) -> None:
    """Run ``check()`` whenever the store may have changed, until cancelled."""
    dsn = notify.conninfo(engine)
    if dsn is None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            await check()
    nudged = asyncio.Event()
    listening = False

    def connected(state: bool) -> None:
        nonlocal listening
        listening = state

    listener = asyncio.create_task(notify.listen(dsn, nudged.set, connected))
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(nudged.wait(), SAFETY_SECONDS if listening else POLL_SECONDS)
            nudged.clear()  # notifications that arrive during the check wake the next one
            await check()
    finally:
        listener.cancel()
