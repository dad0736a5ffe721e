"""Readiness, separate from liveness: whether this server should be sent requests now.

``/healthz`` (in :mod:`tallyroom.publish.web`) only says the process answers, so a
supervisor restarts a server that hangs. ``/readyz`` says whether it can serve: the store
answers and its schema is at the newest migration this code knows. A load balancer or
orchestrator stops sending requests to a server that is not ready (its database down, or
a deployment whose migrations have not run) without restarting it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tallyroom.store.database import MIGRATIONS


def migration_heads() -> set[str]:
    """The newest migration revisions this code ships."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(config).get_heads())


def readiness(engine: Engine, heads: set[str]) -> tuple[bool, dict[str, Any]]:
    """Whether the store answers and is migrated to ``heads``, and what was found."""
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return False, {"status": "unavailable", "store": "unreachable", "detail": reason}
    if current != heads:
        return False, {
            "status": "unavailable",
            "store": "migrations not current",
            "detail": f"store at {sorted(current)}, code expects {sorted(heads)}",
        }
    return True, {"status": "ready", "store": "ok", "migration": sorted(current)}


def add_health_routes(app: FastAPI, engine: Engine) -> None:
    """Add ``/readyz``: 200 when ready, else 503 with ``Retry-After`` and the reason."""
    heads = migration_heads()

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        ready, found = await run_in_threadpool(readiness, engine, heads)
        headers = {"Cache-Control": "no-store", **({} if ready else {"Retry-After": "1"})}
        return JSONResponse(found, status_code=200 if ready else 503, headers=headers)


class StoreDown:
    """ASGI middleware: a store error raised outside a route (the write guard looking up a
    token while the database restarts) gets the same answer as one inside a route, 503
    with ``Retry-After`` from ``answer``, rather than a 500."""

    def __init__(
        self, app: ASGIApp, answer: Callable[[Request, Exception], Awaitable[Response]]
    ) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except OperationalError as error:
            if started:
                raise
            response = await self.answer(Request(scope), error)
            await response(scope, receive, send)
