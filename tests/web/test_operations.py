"""What operators and other servers rely on: NOTIFY sent only by a write that commits,
readiness apart from liveness, Prometheus metrics, and request ids in JSON-lines logs."""

from __future__ import annotations

import json
import logging

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tallyroom.datasets import bundled_path
from tallyroom.errors import TallyroomError
from tallyroom.importers import tidy
from tallyroom.importers.options import ReadOptions
from tallyroom.publish.logs import JSONLines
from tallyroom.publish.web import create_app
from tallyroom.replay import in_count_order, return_body
from tallyroom.store import notify
from tallyroom.store.database import open_store
from tallyroom.store.imports import define
from tallyroom.store.submit import Submission, submit
from tallyroom.store.users import Role, User, add_user
from tests.support.postgres import new_postgres_database

ELECTION = "nz-2020"
RETURNS = f"/api/v1/elections/{ELECTION}/returns"


def _defined(url: str):
    engine = open_store(url)
    datasets = tidy.read([bundled_path(ELECTION)], ReadOptions())
    define(engine, datasets)
    return engine, in_count_order(datasets)


def _submission(r, counts) -> Submission:
    return Submission(ELECTION, r.contest, r.unit, r.stage, r.count_type, counts, r.informal)


def test_notify_is_sent_by_an_accepted_return_and_not_by_a_refused_one(postgres_server) -> None:
    url = new_postgres_database(postgres_server)
    engine, returns = _defined(url)
    admin = User("admin", Role.ADMIN)
    with psycopg.connect(notify.conninfo(engine), autocommit=True) as listener:
        listener.execute(f"LISTEN {notify.CHANNEL}")
        with pytest.raises(TallyroomError):
            submit(engine, admin, _submission(returns[0], {"no such party": 1}))
        assert list(listener.notifies(timeout=0.5)) == []  # rolled back: nothing sent
        submit(engine, admin, _submission(returns[0], dict(returns[0].counts)))
        heard = list(listener.notifies(timeout=2, stop_after=1))
        assert [(n.channel, n.payload) for n in heard] == [(notify.CHANNEL, ELECTION)]
        submit(engine, admin, _submission(returns[0], dict(returns[0].counts)))  # a repeat
        assert list(listener.notifies(timeout=0.5)) == []


def test_readiness_metrics_and_request_ids(tmp_path, caplog) -> None:
    engine, returns = _defined(f"sqlite:///{tmp_path / 'store.db'}")
    token = add_user(engine, "admin", Role.ADMIN)
    with TestClient(create_app(engine)) as client:
        assert client.get("/readyz").json()["status"] == "ready"
        posted = client.post(RETURNS, json=return_body(returns[0]),
                             headers={"Authorization": f"Bearer {token}", "X-Request-ID": "abc-1"})  # fmt: skip
        assert posted.status_code == 201 and posted.headers["x-request-id"] == "abc-1"
        client.post(RETURNS, json=return_body(returns[0]))  # no token: refused
        assert len(client.get("/healthz").headers["x-request-id"]) == 32  # made when not sent
        metrics = client.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        for line in (
            'tallyroom_returns_total{outcome="accepted"} 1.0',
            'tallyroom_returns_total{outcome="refused"} 1.0',
            'tallyroom_http_requests_total{method="GET",route="/readyz",status="200"} 1.0',
            "tallyroom_store_generation 1.0",
            "tallyroom_event_stream_clients 0.0",
        ):
            assert line in metrics.text
        with engine.begin() as conn:  # a store this code's migrations have not reached
            conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
        behind = client.get("/readyz")
        assert behind.status_code == 503 and behind.headers["retry-after"]
        assert behind.json()["store"] == "migrations not current"
        assert client.get("/healthz").status_code == 200
        paths = set(client.get("/api/v1/openapi.json").json()["paths"])
        assert not {"/readyz", "/metrics"} & paths
        with caplog.at_level(logging.INFO, logger="tallyroom.access"):
            client.get("/healthz", headers={"X-Request-ID": "trace-7"})
    line = json.loads(JSONLines().format(caplog.records[-1]))
    assert (line["request_id"], line["path"], line["status"]) == ("trace-7", "/healthz", 200)
