"""The returns API: who may write what, idempotency and corrections, the audit chain,
and hostile requests. Runs the real app on real stores; nothing is mocked."""

from __future__ import annotations

import json
from pathlib import Path

import hypothesis
import pytest
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update
from typer.testing import CliRunner

from tallyroom.cli import app as cli
from tallyroom.model import Stage
from tallyroom.publish.web import create_app
from tallyroom.results import tally
from tallyroom.store import audit
from tallyroom.store import schema as t
from tallyroom.store.database import open_store
from tallyroom.store.users import Role, add_user
from tests.support.servers import nz2020_store
from tests.support.sizes import size

API = "/api/v1/elections/nz-2020"
HOSTILE = size(1_000, 5_000)
"""hostile bodies sent in one test"""
NORTHLAND = 32
PRIME, KING = "PRIME, Willow-Jean", "KING, Ronald Matthew"


@pytest.fixture
def store(tmp_path: Path) -> dict:
    """The 2020 election with an admin and the returning officers of electorates 32 and 1."""
    url = nz2020_store(f"sqlite:///{tmp_path / 'count.db'}")
    engine = open_store(url)
    tokens = {
        "admin": add_user(engine, "Chief Electoral Officer", Role.ADMIN),
        "own": add_user(engine, "Northland RO", Role.RETURNING_OFFICER, NORTHLAND),
        "other": add_user(engine, "Auckland Central RO", Role.RETURNING_OFFICER, 1),
    }
    return {"url": url, "engine": engine, "tokens": tokens}


@pytest.fixture
def client(store: dict):
    with TestClient(create_app(store["engine"])) as test_client:
        yield test_client


def body(electorate: int = NORTHLAND, contest: str | None = None, **changes) -> dict:
    """A recount return for the candidate vote of ``electorate`` (no recount is stored)."""
    data = {
        "contest": contest or f"candidate:{electorate}",
        "unit": f"electorate:{electorate}",
        "stage": "recount",
        "count_type": "all",
        "counts": {PRIME: 17_066, KING: 16_903} if electorate == NORTHLAND else {},
        "informal": 646,
    }
    return {**data, **changes}


def post(client: TestClient, token: str | None, payload, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(f"{API}/returns", json=payload, headers=headers)


# --- authorization --------------------------------------------------------------------

CASES = [
    # who, what, expected status
    ("admin", body(), 201),
    ("admin", body(1), 201),
    ("own", body(), 201),
    ("own", body(contest="party", counts={"Labour Party": 20_000}), 201),
    ("own", body(1), 403),  # another electorate's contest and unit
    ("own", body(contest="candidate:1", counts={}), 403),  # another contest at its own unit
    ("own", body(1, contest="party", counts={"Labour Party": 1}), 403),  # party vote elsewhere
    ("other", body(), 403),
    ("other", body(1), 201),
    ("anonymous", body(), 401),
    ("forged", body(), 401),
]


@pytest.mark.parametrize(("who", "payload", "status"), CASES)
def test_who_may_submit_returns(client: TestClient, store: dict, who: str, payload: dict,
                                status: int) -> None:  # fmt: skip
    token = {"anonymous": None, "forged": "not-a-token"}.get(who, store["tokens"].get(who))
    logged = len(audit.entries(store["engine"], "nz-2020"))
    response = post(client, token, payload)
    assert response.status_code == status, response.text
    if status == 401:  # anonymous refusals are counted, never written to the audit log
        assert len(audit.entries(store["engine"], "nz-2020")) == logged
        assert client.app.state.refusals.counts["returns", 401] >= 1
        return
    last = audit.entries(store["engine"], "nz-2020")[-1]
    assert last["status"] == status
    assert last["outcome"] == ("accepted" if status == 201 else "refused")
    if status != 201:
        assert response.json()["detail"] and last["detail"]["why"] == response.json()["detail"]


@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("own", 403), ("other", 403),
                                             ("anonymous", 401)])  # fmt: skip
def test_who_may_close_a_stage(client: TestClient, store: dict, who: str, status: int) -> None:
    token = store["tokens"].get(who)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(f"{API}/stages/recount", json={"status": "closed"}, headers=headers)
    assert response.status_code == status, response.text
    after = post(client, store["tokens"]["admin"], body())
    assert after.status_code == (409 if status == 200 else 201)
    if status == 200:
        assert "the recount stage of nz-2020 is closed" in after.json()["detail"]


def test_tokens_are_never_stored_or_logged(client: TestClient, store: dict, capfd) -> None:
    for token in store["tokens"].values():
        post(client, token, body())
        post(client, token + "x", body())
    with store["engine"].connect() as conn:
        everything = "\n".join(
            str(row) for table in t.metadata.sorted_tables for row in conn.execute(select(table))
        )
    out = capfd.readouterr()
    for token in store["tokens"].values():
        assert token not in everything and token not in out.out + out.err
    assert everything.count("Northland RO") >= 2  # the audit log names people instead


# --- idempotency, conflicts and corrections -------------------------------------------


def test_resubmitting_is_idempotent_and_corrections_are_versions(
    client: TestClient, store: dict
) -> None:
    admin = store["tokens"]["admin"]
    first = post(client, admin, body())
    assert first.status_code == 201 and first.json()["version"] == 1
    again = post(client, admin, body())
    assert again.status_code == 200 and again.json() == {**first.json(), "created": False}
    keyed = post(client, admin, body(informal=650), **{"Idempotency-Key": "ro-32-batch-7"})
    assert keyed.status_code == 409  # different figures for a stored return
    changed = body(counts={PRIME: 17_070, KING: 16_903})
    assert post(client, admin, changed).status_code == 409
    no_reason = post(client, admin, {**changed, "supersedes": first.json()["return_id"]})
    assert no_reason.status_code == 422 and "must say why" in no_reason.text
    fixed = {**changed, "supersedes": first.json()["return_id"], "reason": "PRIME +4 on recount"}
    second = post(client, admin, fixed)
    assert second.status_code == 201
    assert second.json() == {"return_id": second.json()["return_id"], "version": 2,
                             "supersedes": first.json()["return_id"], "created": True,
                             "held": False, "changes": []}  # fmt: skip  # no outcome changes
    assert post(client, admin, fixed).json()["version"] == 2  # the correction again: 200
    stale = post(client, admin, {**body(counts={PRIME: 1}), "supersedes": first.json()["return_id"],
                                 "reason": "late"})  # fmt: skip
    assert stale.status_code == 409 and "not the latest version" in stale.text
    counted = tally(store["engine"], "nz-2020", Stage.RECOUNT)
    assert counted.candidates[NORTHLAND].counts == {PRIME: 17_070, KING: 16_903}
    trail = [e for e in audit.entries(store["engine"], "nz-2020")
             if e["action"] == "submit-return" and e["outcome"] != "refused"]  # fmt: skip
    assert [(e["outcome"], e["detail"].get("version")) for e in trail] == [
        ("accepted", 1), ("duplicate", 1), ("accepted", 2), ("duplicate", 2)]  # fmt: skip
    assert trail[2]["detail"]["reason"] == "PRIME +4 on recount"


def test_idempotency_key(client: TestClient, store: dict) -> None:
    admin = store["tokens"]["admin"]
    key = {"Idempotency-Key": "northland-final"}
    assert post(client, admin, body(), **key).status_code == 201
    assert post(client, admin, body(), **key).status_code == 200
    reused = post(client, admin, body(1), **key)
    assert reused.status_code == 422 and "already used for a different return" in reused.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"contest": "candidate:99"}, "contest: nz-2020 has no contest 'candidate:99'"),
        ({"unit": "voting-place:nowhere"}, "unit: nz-2020 has no reporting unit"),
        ({"counts": {"SMITH, John": 5}}, "counts: candidate:32 has no choice 'SMITH, John'"),
        ({"total": 1}, "total: 1 is not the counts plus informal (34,615)"),
        ({"counts": {PRIME: -1}}, "greater than or equal to 0"),
        ({"counts": {PRIME: "12"}}, "Input should be a valid integer"),
        ({"counts": {PRIME: 1.5}}, "Input should be a valid integer"),
        (
            {"stage": "final"},
            "Input should be 'preliminary', 'official', 'recount' or 'by-election'",
        ),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_returns_are_refused_clearly(client: TestClient, store: dict, change: dict,
                                             message: str) -> None:  # fmt: skip
    response = post(client, store["tokens"]["admin"], body(**change))
    assert response.status_code == 422
    assert message in response.text
    assert audit.entries(store["engine"], "nz-2020")[-1]["outcome"] == "refused"


def test_unknown_election(client: TestClient, store: dict) -> None:
    response = client.post("/api/v1/elections/nz-1999/returns", json=body(),
                           headers={"Authorization": f"Bearer {store['tokens']['admin']}"})  # fmt: skip
    assert response.status_code == 404 and "no election 'nz-1999'" in response.text


# --- the audit chain ------------------------------------------------------------------


def test_audit_verify_detects_edits_and_deletions(client: TestClient, store: dict) -> None:
    admin = store["tokens"]["admin"]
    for electorate in (NORTHLAND, 1, 2):
        post(client, admin, body(electorate))
    post(client, None, body())
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify", "--db", store["url"]])
    assert ok.exit_code == 0 and "intact" in ok.output
    shown = runner.invoke(cli, ["audit", "show", "nz-2020", "--electorate", "32", "--json",
                                "--db", store["url"]])  # fmt: skip
    assert [(r["action"], r["electorate"]) for r in json.loads(shown.stdout)] == [
        ("import", None),  # election-wide writes cover every electorate
        ("submit-return", NORTHLAND),
    ]
    engine = store["engine"]
    with engine.begin() as conn:  # someone edits a figure in the log
        conn.execute(update(t.audit_log).where(t.audit_log.c.id == 3).values(actor="Someone else"))
    edited = runner.invoke(cli, ["audit", "verify", "--db", store["url"]])
    assert edited.exit_code == 1 and "row 3: its contents do not match its hash" in edited.output
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = 3"))
    deleted = audit.verify(engine)
    assert "rows 3-3 are missing (deleted)" in deleted.problems
    with engine.begin() as conn:
        last = conn.execute(select(func.max(t.audit_log.c.id))).scalar_one()
        conn.execute(text(f"DELETE FROM audit_log WHERE id = {last}"))
    assert any("the head names row" in p for p in audit.verify(engine).problems)


# --- hostile requests -----------------------------------------------------------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_HOSTILE = st.sampled_from([
    -1, 2**63, 1e308, "1", "", "'; DROP TABLE vote_return; --", "<script>alert(1)</script>",
    None, True, [], {}, "\u0000", "x" * 5000, "recount", "candidate:32", "electorate:1",
])  # fmt: skip


@st.composite
def hostile_bodies(draw) -> tuple[str, object]:
    """A request body: random JSON, a valid return with one field made hostile, or bytes."""
    kind = draw(st.sampled_from(["json", "mutated", "counts", "bytes"]))
    if kind == "json":
        return "json", draw(_JSON)
    if kind == "bytes":
        return "bytes", draw(st.binary(max_size=200))
    payload = body()
    if kind == "counts":
        payload["counts"] = draw(st.dictionaries(st.text(max_size=30) | st.sampled_from([PRIME, KING]),
                                                 _HOSTILE | st.integers(), max_size=5))  # fmt: skip
    else:
        field = draw(st.sampled_from([*payload, "supersedes", "reason", "total", "extra"]))
        payload[field] = draw(_HOSTILE | _JSON)
    return "json", payload


def test_hostile_requests_never_break_anything(client: TestClient, store: dict) -> None:
    """5,000 malformed or hostile bodies: always a 4xx with a message (or 2xx for the few
    valid ones), never a 5xx, never a partial write."""
    admin = {"Authorization": f"Bearer {store['tokens']['admin']}"}
    engine = store["engine"]
    seen: dict[int, int] = {}

    def state() -> tuple[int, int, int]:
        with engine.connect() as conn:
            return (
                conn.execute(select(func.count()).select_from(t.vote_return)).scalar_one(),
                conn.execute(select(func.count()).select_from(t.vote_count)).scalar_one(),
                conn.execute(select(func.count()).select_from(t.source)).scalar_one(),
            )

    @hypothesis.settings(max_examples=HOSTILE, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))  # fmt: skip
    @hypothesis.given(hostile_bodies(), st.none() | st.text(max_size=300))
    def check(request: tuple[str, object], key: str | None) -> None:
        kind, payload = request
        headers = dict(admin)
        if key is not None and key.isprintable() and key.isascii():
            headers["Idempotency-Key"] = key
        before = state()
        if kind == "bytes":
            response = client.post(f"{API}/returns", content=payload,
                                   headers={**headers, "Content-Type": "application/json"})  # fmt: skip
        else:
            response = client.post(f"{API}/returns", json=payload, headers=headers)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.json()["detail"], response.text
            assert state() == before, response.text  # a refusal writes nothing but the log
        elif response.status_code == 201:
            assert state()[0] == before[0] + 1

    logged = len(audit.entries(engine, "nz-2020"))
    check()
    assert sum(seen.values()) == HOSTILE
    assert len(audit.entries(engine, "nz-2020")) == logged + HOSTILE  # every request is logged
    assert set(seen) <= {200, 201, 400, 409, 422}, seen
    assert audit.verify(engine).intact


def test_a_recount_replaces_only_what_it_recounts(client: TestClient, store: dict) -> None:
    """A judicial recount of Northland: the recount stage is the official count with
    Northland's candidate vote replaced, so the rest of the House is unchanged."""
    recount = {PRIME: 17_070, KING: 16_900}
    assert post(client, store["tokens"]["own"], body(counts=recount)).status_code == 201
    official = client.get(f"{API}/official/summary.json").json()
    summary = client.get(f"{API}/recount/summary.json").json()
    assert summary["progress"]["text"] == "1 of 72 electorates recounted"
    assert summary["party_votes"] == official["party_votes"]
    assert summary["seats"] == official["seats"]
    assert len(summary["electorates"]) == 72
    northland = client.get(f"{API}/recount/electorates/{NORTHLAND}.json").json()
    assert {c["candidate"]: c["votes"] for c in northland["candidates"]} == recount
    assert (northland["majority"], northland["informal"]) == (170, 646)
    auckland = client.get(f"{API}/recount/electorates/1.json").json()
    assert auckland == {
        **client.get(f"{API}/official/electorates/1.json").json(),
        "stage": "recount",
    }
    page = client.get("/elections/nz-2020/recount/")
    assert (
        page.status_code == 200 and "House of 120:" in page.text and "As counted" not in page.text
    )
    assert (
        client.get("/elections/nz-2020/", follow_redirects=False)
        .headers["location"]
        .endswith("/recount/")
    )
