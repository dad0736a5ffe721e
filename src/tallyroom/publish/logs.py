"""Structured logs: one JSON object a line, each request carrying its id.

Every response has an ``X-Request-ID``: the one the client or proxy sent (nginx sends
its ``$request_id``), when it is a plausible id, else a new one. The id is kept for the
request's duration, so an error logged while serving it names it too, and the same id is
in nginx's log, the app's access log and the response a person reports. ``tallyroom
serve --json-logs`` writes these lines to stderr (:data:`LOG_CONFIG`); without it only
warnings and errors are printed, as plain text.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_PLAUSIBLE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
_ACCESS = logging.getLogger("tallyroom.access")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JSONLines(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, the request id
    if any, fields passed as ``extra``, and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JSONLines}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        "alembic": {"handlers": [], "level": "WARNING", "propagate": True},
    },
}
"""Logging for ``uvicorn.run(log_config=...)``: everything as JSON lines on stderr,
uvicorn's own access log off (the app writes a richer one)."""


class RequestLog:
    """ASGI middleware: gives each request its id (``X-Request-ID`` in and out) and logs
    one access line per request to ``tallyroom.access`` (at INFO, so only when logging is
    configured to show it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"x-request-id", b"")
        request_id = sent.decode() if _PLAUSIBLE.fullmatch(sent) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        status, size, started = 500, 0, time.perf_counter()

        async def tagged(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            if _ACCESS.isEnabledFor(logging.INFO):
                client = scope.get("client")
                _ACCESS.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "bytes": size,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "client": client[0] if client else None,
                    },
                )
            REQUEST_ID.reset(token)
