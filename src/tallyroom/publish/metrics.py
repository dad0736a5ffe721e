"""``/metrics`` in Prometheus's text format, through the standard ``prometheus_client``.

Counted here, as every request passes: requests by route template (never by raw path,
so the label set stays bounded), their latencies, returns submitted by outcome (accepted,
held for review, duplicate, refused), the store generation the server is serving and the
open event streams. Each server process has its own registry: Prometheus scrapes every
app server and sums them, so run one process per port (``--workers 1``) behind the proxy.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tallyroom.publish.site import Site

RETURN_OUTCOMES = {201: "accepted", 202: "held", 200: "duplicate"}
"""what the returns endpoint's status means; any other status is a refusal"""
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The server's instruments, in a registry of its own (one per app)."""

    def __init__(self, site: Site) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("tallyroom_http_requests", "HTTP requests answered.",
                                ["method", "route", "status"], registry=self.registry)  # fmt: skip
        self.latency = Histogram(
            "tallyroom_http_request_duration_seconds",
            "Time from request to the end of the response (event streams excluded).",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.returns = Counter("tallyroom_returns", "Returns submitted, by outcome.",
                               ["outcome"], registry=self.registry)  # fmt: skip
        self.streams = Gauge("tallyroom_event_stream_clients", "Open event streams.",
                             registry=self.registry)  # fmt: skip
        generation = Gauge("tallyroom_store_generation", "The store generation being served.",
                           registry=self.registry)  # fmt: skip
        generation.set_function(lambda: site.generation)

    def exposition(self) -> bytes:
        """Everything counted, in Prometheus's text format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """ASGI middleware that counts every HTTP request into :class:`Metrics`."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        routes: list[BaseRoute],
        routers: Sequence[APIRouter],
        returns_route: str,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        self.routers = routers
        self.returns_route = returns_route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = self._route(scope)
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        stream = route.endswith("/events")
        started = time.perf_counter()
        if stream:
            self.metrics.streams.inc()
        try:
            await self.app(scope, receive, observe)
        finally:
            method = scope["method"]
            if stream:
                self.metrics.streams.dec()
            else:
                self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(method, route, str(status)).inc()
            if route == self.returns_route and method == "POST":
                self.metrics.returns.labels(RETURN_OUTCOMES.get(status, "refused")).inc()

    def _route(self, scope: Scope) -> str:
        """The template of the route that serves ``scope``: the first full match, else the
        first whose path matches (a HEAD, answered as GET, or a wrong method), else
        ``other``."""
        partial = "other"
        for candidate in [*(r for router in self.routers for r in router.routes), *self.routes]:
            match = candidate.matches(scope)[0]
            if match is Match.FULL:
                return getattr(candidate, "path", "other")
            if match is Match.PARTIAL and partial == "other":
                partial = getattr(candidate, "path", "other")
        return partial


def add_metrics(app: FastAPI, site: Site, routers: Sequence[APIRouter], returns_route: str) -> None:
    """Count ``app``'s requests and serve them at ``/metrics`` (outside the API schema).
    Requests are labelled by the template of the route of ``routers`` (which ``app``
    includes) or of ``app`` itself that serves them; ``returns_route`` is the template of
    the returns endpoint, whose outcomes are counted."""
    metrics = Metrics(site)

    @app.get("/metrics", include_in_schema=False)
    async def exposition() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(
        MetricsMiddleware,
        metrics=metrics,
        routes=app.router.routes,
        routers=routers,
        returns_route=returns_route,
    )
