"""Four eyes on outcome changes, and an audit log that covers the results, against a real
server process: a correction that flips Northland is held until a second admin approves
it; direct edits of the store behind the log's back are found; a published signed head
catches a rewritten or truncated chain."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, insert, select, text, update

from tallyroom.store import audit
from tallyroom.store import schema as t
from tallyroom.store.database import open_store, writing
from tallyroom.store.users import Role, add_user
from tests.support.servers import (
    KING,
    PRIME,
    TALLYROOM,
    northland_correction,
    northland_special,
    nz2020_store,
    start_server,
)

API = "/api/v1/elections/nz-2020"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict]:
    """``tallyroom serve`` on the bundled 2020 election with two admins and Northland's RO
    (a fresh SQLite store per test: each test changes the count)."""
    yield from _serving(f"sqlite:///{tmp_path / 'count.db'}", tmp_path)


@pytest.fixture
def server_on_both(store_url: str, tmp_path: Path) -> Iterator[dict]:
    """The same, on SQLite and on PostgreSQL."""
    yield from _serving(store_url, tmp_path)


def _serving(url: str, tmp_path: Path) -> Iterator[dict]:
    url = nz2020_store(url)
    engine = open_store(url)
    tokens = {
        "admin": add_user(engine, "Chief Electoral Officer", Role.ADMIN),
        "deputy": add_user(engine, "Deputy Electoral Officer", Role.ADMIN),
        "own": add_user(engine, "Northland RO", Role.RETURNING_OFFICER, 32),
    }
    process, base = start_server("serve", "--db", url)
    try:
        yield {"base": base, "engine": engine, "tokens": tokens, "url": url, "tmp": tmp_path}
    finally:
        process.terminate()
        process.wait(timeout=10)


def call(server: dict, method: str, path: str, token: str | None, body: object = None):
    headers = {"Authorization": f"Bearer {server['tokens'][token]}"} if token else {}
    return httpx.request(method, f"{server['base']}{path}", json=body, headers=headers, timeout=60)


def northland(server: dict) -> tuple[str, int]:
    data = httpx.get(f"{server['base']}{API}/official/electorates/32.json").json()
    return data["winner"], data["valid"]


def verify_cli(server: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [TALLYROOM, "audit", "verify", "--db", server["url"], *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_correction_that_flips_an_electorate_waits_for_a_second_admin(
    server_on_both: dict,
) -> None:
    server = server_on_both
    assert northland(server) == (PRIME, 44_784)
    held = call(
        server, "POST", f"{API}/returns", "own", northland_correction(server["engine"], 200)
    )
    assert held.status_code == 202, held.text
    body = held.json()
    assert body["held"] is True and body["created"] is True
    assert any("Northland" in c and KING in c for c in body["changes"]), body["changes"]
    assert northland(server) == (PRIME, 44_784)  # stored, not counted
    page = httpx.get(f"{server['base']}/elections/nz-2020/official/electorates/32/").text
    assert "A correction is under review" in page and "candidate:32 at electorate:32" in page
    assert str(body["return_id"]) not in page.split("under review", 1)[1][:300]

    again = call(
        server,
        "POST",
        f"{API}/returns",
        "own",
        northland_correction(server["engine"], 5, "another"),
    )
    assert again.status_code == 409 and "under review" in again.json()["detail"]

    assert call(server, "GET", f"{API}/corrections", None).status_code == 401
    assert call(server, "GET", f"{API}/corrections", "own").status_code == 403
    listed = call(server, "GET", f"{API}/corrections", "admin")
    assert listed.status_code == 200
    [entry] = listed.json()
    assert entry["return_id"] == body["return_id"] and entry["submitted_by"] == "Northland RO"
    assert "counts" not in entry and KING not in json.dumps(entry)

    path = f"{API}/corrections/{body['return_id']}/approve"
    assert call(server, "POST", path, "own", {"reason": "mine"}).status_code == 403
    approved = call(server, "POST", path, "admin", {"reason": "checked the batch"})
    assert approved.status_code == 200, approved.text
    assert approved.json() == {"return_id": body["return_id"], "decision": "approved"}
    assert northland(server) == (KING, 44_984)
    assert call(server, "POST", path, "deputy", {}).status_code == 409  # decided already
    assert (
        "under review"
        not in httpx.get(f"{server['base']}/elections/nz-2020/official/electorates/32/").text
    )
    rows = audit.entries(server["engine"], "nz-2020", 32)
    assert [(r["actor"], r["action"], r["outcome"]) for r in rows[-5:]] == [
        ("Northland RO", "submit-return", "held"),
        ("Northland RO", "submit-return", "refused"),
        ("Northland RO", "review-approved", "refused"),
        ("Chief Electoral Officer", "review-approved", "accepted"),
        ("Deputy Electoral Officer", "review-approved", "refused"),
    ]
    assert audit.verify(server["engine"]).intact


def test_the_admin_who_submitted_a_correction_cannot_approve_it(server: dict) -> None:
    held = call(
        server, "POST", f"{API}/returns", "admin", northland_correction(server["engine"], 300)
    ).json()
    path = f"{API}/corrections/{held['return_id']}/approve"
    refused = call(server, "POST", path, "admin", {})
    assert refused.status_code == 403 and "another admin" in refused.json()["detail"]
    assert northland(server)[0] == PRIME
    assert call(server, "POST", path, "deputy", {}).status_code == 200
    assert northland(server)[0] == KING


def test_a_rejected_correction_never_counts_and_the_return_can_be_corrected_again(
    server: dict,
) -> None:
    held = call(
        server, "POST", f"{API}/returns", "own", northland_correction(server["engine"], 200)
    ).json()
    path = f"{API}/corrections/{held['return_id']}/reject"
    assert call(server, "POST", path, "admin", {"reason": "no such batch"}).status_code == 200
    assert northland(server) == (PRIME, 44_784)
    small = call(
        server, "POST", f"{API}/returns", "own", northland_correction(server["engine"], 3, "typo")
    )
    assert small.status_code == 201, small.text  # changes no outcome: counts at once
    assert small.json()["held"] is False and small.json()["version"] == 3
    assert northland(server) == (PRIME, 44_787)
    assert audit.verify(server["engine"]).intact


def test_the_command_line_lists_and_decides_corrections(server: dict) -> None:
    held = call(
        server, "POST", f"{API}/returns", "own", northland_correction(server["engine"], 200)
    ).json()
    listed = subprocess.run(
        [TALLYROOM, "corrections", "list", "nz-2020", "--db", server["url"], "--json"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert [h["return_id"] for h in json.loads(listed.stdout)] == [held["return_id"]]
    done = subprocess.run(
        [TALLYROOM, "corrections", "approve", "nz-2020", str(held["return_id"]),
         "--reason", "seen the batch", "--db", server["url"]],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert northland(server)[0] == KING
    assert audit.entries(server["engine"], "nz-2020", 32)[-1]["actor"] == audit.OPERATOR


def test_edits_behind_the_logs_back_are_found_and_located(server: dict) -> None:
    engine = server["engine"]
    assert verify_cli(server).returncode == 0
    return_id, _, _ = northland_special(server["engine"])
    with writing(engine) as conn:
        conn.execute(
            update(t.vote_count).where(t.vote_count.c.return_id == return_id).values(votes=1)
        )
    found = verify_cli(server)
    assert found.returncode == 1
    assert "candidate:32: the stored figures differ" in found.stderr


def test_a_held_correction_released_or_approved_behind_the_logs_back_is_found(
    server: dict,
) -> None:
    engine = server["engine"]
    first = call(
        server, "POST", f"{API}/returns", "own", northland_correction(server["engine"], 200)
    ).json()
    with writing(engine) as conn:  # approve without the log
        conn.execute(
            insert(t.review),
            {"return_id": first["return_id"], "decision": "approved", "reviewer": "x",
             "at": datetime(2026, 1, 1, tzinfo=UTC)},
        )  # fmt: skip
    assert f"return {first['return_id']}: approved by a review the log does not record" in (
        "\n".join(audit.verify(engine).problems)
    )
    with writing(engine) as conn:
        conn.execute(delete(t.review))
        conn.execute(update(t.vote_return).where(t.vote_return.c.id == first["return_id"])
                     .values(held=0))  # fmt: skip
    assert any(
        "candidate:32: the stored figures differ" in p for p in audit.verify(engine).problems
    )


def test_a_published_head_catches_a_rewritten_or_truncated_chain(server: dict) -> None:
    engine = server["engine"]
    key = httpx.get(f"{server['base']}/api/v1/audit/key").json()
    published = httpx.get(f"{server['base']}/api/v1/audit/head").json()
    assert published["public_key"] == key["public_key"]
    saved = server["tmp"] / "head.json"
    saved.write_text(json.dumps(published))
    ok = verify_cli(server, "--against", str(saved), "--key", key["public_key"])
    assert ok.returncode == 0 and f"extends the head of row {published['last_id']:,}" in ok.stdout

    forged = server["tmp"] / "forged.json"
    forged.write_text(json.dumps({**published, "last_id": published["last_id"] - 1}))
    bad = verify_cli(server, "--against", str(forged), "--key", key["public_key"])
    assert bad.returncode == 2 and "signature does not verify" in bad.stderr

    call(server, "POST", f"{API}/returns", "own", northland_correction(server["engine"], 3, "typo"))
    assert verify_cli(server, "--against", str(saved)).returncode == 0  # the log grew: fine

    with writing(engine) as conn:  # cut the tail and move the head back: the chain verifies
        last = conn.execute(select(t.audit_head.c.last_id)).scalar_one()
        conn.execute(delete(t.audit_log).where(t.audit_log.c.id >= published["last_id"]))
        previous = conn.execute(
            select(t.audit_log.c.hash).where(t.audit_log.c.id == published["last_id"] - 1)
        ).scalar_one()
        conn.execute(update(t.audit_head).values(last_id=published["last_id"] - 1, hash=previous))
        conn.execute(
            text("DELETE FROM vote_count WHERE return_id = (SELECT MAX(id) FROM vote_return)")
        )
        conn.execute(text("DELETE FROM vote_return WHERE id = (SELECT MAX(id) FROM vote_return)"))
        conn.execute(text("DELETE FROM source WHERE id = (SELECT MAX(id) FROM source)"))
    assert last > published["last_id"]
    assert audit.verify(engine).intact  # on its own, a cut chain looks whole
    cut = verify_cli(server, "--against", str(saved))
    assert cut.returncode == 1 and "rows were cut from the end" in cut.stderr


def test_every_page_names_the_audit_head(server: dict) -> None:
    page = httpx.get(f"{server['base']}/elections/nz-2020/official/").text
    head = httpx.get(f"{server['base']}/api/v1/audit/head").json()
    assert f"head <code>{head['hash'][:16]}…</code>" in page
    assert 'href="../../../api/v1/audit/head"' in page


def test_the_unit_ceiling_is_the_servers_to_set(tmp_path: Path) -> None:
    url = nz2020_store(f"sqlite:///{tmp_path / 'ceiling.db'}")
    token = add_user(open_store(url), "Chief Electoral Officer", Role.ADMIN)
    process, base = start_server("serve", "--db", url, "--unit-ceiling", "1000")
    try:
        body = {"contest": "candidate:32", "unit": "electorate:32", "stage": "recount",
                "count_type": "all", "counts": {KING: 1_200}}  # fmt: skip
        refused = httpx.post(f"{base}{API}/returns", json=body,
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert refused.status_code == 409
        assert "1,200 votes is more than one reporting unit may report (1,000)" in refused.text
    finally:
        process.terminate()
        process.wait(timeout=10)
