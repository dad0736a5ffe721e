"""The gate in front of every write: a request is bounded before it costs anything.

An ASGI middleware, so it runs before FastAPI reads a body:

* only the real write routes take a method other than GET or HEAD; anything else is the
  app's 404 or 405, body unread; the few private read routes (what only admins may see)
  need a token as the writes do;
* the bearer token is checked from the headers (one ``Authorization`` header, scheme in
  any case) before a byte of the body is read: no token or a bad one is 401;
* a body larger than the limit is 413, from its ``Content-Length`` or while it streams;
* the body must be strict JSON: no NaN or Infinity, no key twice in one object, no lone
  surrogate or NUL in a string (422 naming what is wrong, never echoing it).

Refusals of anonymous or failed-auth requests are counted per route and status (a
bounded table, logged at most every few seconds) and never written to the audit log,
which only records what authenticated users did. The authenticated user travels to the
route in the request's state.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tallyroom.store.users import User

BODY_LIMIT = 64 * 1024
"""bytes a write request's body may have, unless the server is told otherwise"""
LOG_EVERY = 10.0
"""seconds between two log lines about refused anonymous requests"""
_MAX_SEGMENT = 200

Authenticate = Callable[[str], Awaitable[User | None]]
Audit = Callable[[User, str, int, str], Awaitable[None]]
"""records a refused write of an authenticated user: user, path, status, why"""


class Refusals:
    """Anonymous and failed-auth refusals, counted per (route, status) and logged
    rate-limited; the table is bounded because routes are a fixed set."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()
        self._logged = 0.0

    def add(self, route: str, status: int) -> None:
        """Count one refusal; log the table now and then."""
        with self._lock:
            self.counts[route, status] += 1
            now = time.monotonic()
            if now - self._logged < LOG_EVERY:
                return
            self._logged = now
            table = dict(self.counts)
        logging.getLogger(__name__).warning("refused requests so far: %s", table)


class StrictJSONError(ValueError):
    """A body that is not strict JSON."""


def strict_json(body: bytes) -> Any:
    """Parse ``body`` as strict JSON (see the module docstring), or raise
    :class:`StrictJSONError` saying what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise StrictJSONError("body: not UTF-8") from None

    def constant(name: str) -> None:
        raise StrictJSONError(f"body: {name} is not a number JSON allows")

    def no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            repeated = next(k for k in keys if keys.count(k) > 1)
            raise StrictJSONError(f"body: key {_shown(repeated)} appears twice in one object")
        return dict(pairs)

    try:
        data = json.loads(text, parse_constant=constant, object_pairs_hook=no_repeats)
    except json.JSONDecodeError as error:
        raise StrictJSONError(f"body: not JSON ({error.msg} at position {error.pos})") from None
    _check_strings(data)
    return data


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise StrictJSONError("body: a string contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise StrictJSONError("body: a string contains a lone surrogate") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def _shown(key: str) -> str:
    """A key for a message: short, printable, never the attacker's full text."""
    return repr(key[:40] + ("…" if len(key) > 40 else ""))


class WriteGuard:
    """The ASGI middleware described in the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        write_routes: dict[str, re.Pattern[str]],
        authenticate: Authenticate,
        private_reads: dict[str, re.Pattern[str]] | None = None,
        audit: Audit,
        refusals: Refusals,
        body_limit: int = BODY_LIMIT,
    ) -> None:
        self.app = app
        self.write_routes = write_routes
        self.private_reads = private_reads or {}
        self.authenticate = authenticate
        self.audit = audit
        self.refusals = refusals
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not _plausible_path(path):
            await _answer(send, 404, "no such page")
            return
        if scope["method"] in ("GET", "HEAD"):
            private = next((n for n, rx in self.private_reads.items() if rx.fullmatch(path)), None)
            if private is not None:
                user, why = await self._user(scope)
                if user is None:
                    self.refusals.add(private, 401)
                    await _answer(send, 401, why, {"WWW-Authenticate": "Bearer"})
                    return
                scope.setdefault("state", {})["user"] = user
            await self.app(scope, receive, send)
            return
        route = next((name for name, rx in self.write_routes.items() if rx.fullmatch(path)), None)
        if route is None:  # the app answers 404 or 405 without reading the body

            async def counted(message: Message) -> None:
                if message["type"] == "http.response.start":
                    self.refusals.add("other", message["status"])
                await send(message)

            await self.app(scope, receive, counted)
            return
        if scope["method"] != "POST":
            self.refusals.add(route, 405)
            await _answer(send, 405, "method not allowed: send POST", {"Allow": "POST"})
            return
        user, why = await self._user(scope)
        if user is None:
            self.refusals.add(route, 401)
            await _answer(send, 401, why, {"WWW-Authenticate": "Bearer"})
            return
        body, status, why = await self._body(scope, receive)
        if status:
            await self.audit(user, path, status, why)
            await _answer(send, status, why)
            return
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, _replay(body, receive), send)

    async def _user(self, scope: Scope) -> tuple[User | None, str]:
        """The user of the request's bearer token, or ``None`` and why not."""
        headers = [v for k, v in scope["headers"] if k == b"authorization"]
        if len(headers) > 1:
            return None, "send one Authorization header, not several"
        scheme, _, token = (headers[0].decode("latin-1") if headers else "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None, "a valid bearer token is required (Authorization: Bearer …)"
        user = await self.authenticate(token)
        if user is None:
            return None, "a valid bearer token is required: this one is unknown, revoked or expired"
        return user, ""

    async def _body(self, scope: Scope, receive: Receive) -> tuple[bytes, int, str]:
        """The body, read up to the limit: ``(body, 0, "")`` or ``(b"", status, why)``."""
        too_large = f"body: more than {self.body_limit:,} bytes"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.body_limit):
            return b"", 413, too_large
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", 400, "body: the client went away"
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.body_limit:
                return b"", 413, too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            strict_json(body)
        except StrictJSONError as error:
            return b"", 422, str(error)
        return body, 0, ""


def _plausible_path(path: str) -> bool:
    """No control characters and no absurdly long segment: refused before any store access."""
    return path.isprintable() and all(len(part) <= _MAX_SEGMENT for part in path.split("/"))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the client's own
    messages (its disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _answer(send: Send, status: int, why: str, headers: dict[str, str] | None = None) -> None:
    """A JSON error response; the connection closes, since the body may be unread."""
    payload = json.dumps({"detail": why}).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
