"""The live event stream, and the watcher that tells it when the store changed.

A background task follows the store (notified on PostgreSQL, polling on SQLite; a server
sees its own writes at once): when the generation moves, the site drops what it computed
for the old generation and every open event stream sends the new count, so open pages
update live.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from tallyroom.publish import schemas
from tallyroom.publish.resources import URLS
from tallyroom.publish.routes.shared import NO_STORE, ElectionId, SiteDep
from tallyroom.publish.site import Site, to_json

HEARTBEAT_SECONDS = 15.0
_LOG = logging.getLogger(__name__)

router = APIRouter()


class Watcher:
    """Looks at the store's generation when told to (:func:`~tallyroom.publish.follow.follow`
    tells it when others may have written) and wakes the event streams if it changed."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.changed = asyncio.Event()

    async def check(self) -> None:
        """Look at the store now; wake the event streams if it changed."""
        try:
            changed = await asyncio.to_thread(self.site.refresh)
        except Exception as error:  # a busy or restarting store: say so, try again later
            _LOG.warning("cannot read the store's generation: %s", error)
            return
        if changed:
            self.changed.set()
            self.changed = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """Wait for the next change; ``False`` if none came within ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self.changed.wait(), timeout)
        except TimeoutError:
            return False
        return True


def _progress(site: Site, election: str) -> dict[str, Any]:
    """What an event carries: the store generation and the progress at each stage."""
    return {
        "generation": site.generation,
        "progress": {s.value: site.progress(election, s) for s in site.stages(election)},
    }


@router.get(
    URLS.events("{election}"),
    tags=["live"],
    response_class=Response,
    responses={200: {"content": {"text/event-stream": {}}}, 404: {"model": schemas.Problem}},
)
async def events(election: ElectionId, request: Request, site: SiteDep) -> Response:
    """Server-sent events: a `count` event now and whenever new returns arrive, with the
    store generation and the count progress at each stage."""
    await run_in_threadpool(site.election, election)  # 404 for an unknown election
    watcher: Watcher = request.app.state.watcher

    async def stream() -> AsyncIterator[str]:
        while True:
            data = await run_in_threadpool(_progress, site, election)
            yield f"event: count\ndata: {to_json(data).decode()}\n\n"
            while not await watcher.wait(HEARTBEAT_SECONDS):
                if await request.is_disconnected():
                    return
                yield ": still here\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers=NO_STORE)
