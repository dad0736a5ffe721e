"""Integrity of the count against a real server process: the attacks that once changed a
result through the returns API, replayed, now refused with nothing stored; anonymous
requests cost nothing and leave no audit row; bodies are bounded before they are read."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tallyroom.store import audit
from tallyroom.store import schema as t
from tallyroom.store.database import open_store
from tallyroom.store.users import Role, add_user
from tests.support.servers import nz2020_store, start_server

API = "/api/v1/elections/nz-2020"
KING = "KING, Ronald Matthew"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """``tallyroom serve`` on the bundled 2020 election, with an admin and Northland's RO."""
    url = nz2020_store(f"sqlite:///{tmp_path_factory.mktemp('integrity') / 'count.db'}")
    engine = open_store(url)
    tokens = {
        "admin": add_user(engine, "Chief Electoral Officer", Role.ADMIN),
        "own": add_user(engine, "Northland RO", Role.RETURNING_OFFICER, 32),
    }
    process, base = start_server("serve", "--db", url)
    try:
        yield {"base": base, "engine": engine, "tokens": tokens, "pid": process.pid}
    finally:
        process.terminate()
        process.wait(timeout=10)


def state(engine) -> tuple[int, int, int]:
    """Returns, counts and audit rows stored."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.vote_return, t.vote_count, t.audit_log)
        )


def post(server: dict, payload: object, token: str | None = "own", **headers: str):
    if token is not None:
        headers["Authorization"] = f"Bearer {server['tokens'][token]}"
    content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return httpx.post(
        f"{server['base']}{API}/returns",
        content=content,
        headers={"Content-Type": "application/json", **headers},
        timeout=30,
    )


def official(server: dict) -> tuple[dict, dict]:
    seats = httpx.get(f"{server['base']}{API}/official/seats.json").json()["seats"]
    northland = httpx.get(f"{server['base']}{API}/official/electorates/32.json").json()
    return seats, {"winner": northland["winner"], "valid": northland["valid"]}


ATTACKS = {
    "all over ordinary and special": (
        {
            "contest": "candidate:32",
            "unit": "electorate:32",
            "stage": "official",
            "count_type": "all",
            "counts": {KING: 500},
        },
        "overlaps",
    ),
    "5,000,000 ACT votes as specials": (
        {
            "contest": "party",
            "unit": "electorate:32",
            "stage": "official",
            "count_type": "special",
            "counts": {"ACT New Zealand": 5_000_000},
        },
        "5,000,000 votes is more than one reporting unit may report",
    ),
    "a finer unit standing for the electorate": (
        {
            "contest": "candidate:32",
            "unit": "electorate:32/special",
            "stage": "official",
            "count_type": "special",
            "counts": {KING: 10},
        },
        "reported for electorate:32 as a whole and also by electorate:32/special",
    ),
    "an empty finer return": (
        {
            "contest": "candidate:32",
            "unit": "electorate:32/special",
            "stage": "official",
            "count_type": "special",
            "counts": {},
        },
        "as a whole and also by",
    ),
    "more votes than electors": (
        {
            "contest": "candidate:32",
            "unit": "electorate:32",
            "stage": "recount",
            "count_type": "all",
            "counts": {KING: 90_000},
        },
        "exceed the electorate's",
    ),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_returns_that_would_change_the_count_unseen_are_refused(server: dict, attack: str) -> None:
    payload, why = ATTACKS[attack]
    before, stored = official(server), state(server["engine"])
    response = post(server, payload, "admin" if "ACT" in attack else "own")
    assert response.status_code == 409, response.text
    assert why in response.json()["detail"]
    assert official(server) == before
    assert state(server["engine"])[:2] == stored[:2]  # nothing stored
    assert state(server["engine"])[2] == stored[2] + 1  # the refusal is audited: a known user
    assert audit.verify(server["engine"]).intact


def test_the_seats_are_the_declared_ones_after_every_attack(server: dict) -> None:
    seats, northland = official(server)
    assert seats == {
        "Labour Party": 65,
        "National Party": 33,
        "Green Party": 10,
        "ACT New Zealand": 10,
        "Māori Party": 2,
    }
    assert northland == {"winner": "PRIME, Willow-Jean", "valid": 44_784}


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("POST", f"{API}/returns", {}, 401),
        ("POST", f"{API}/returns", {"Authorization": "Bearer forged"}, 401),
        ("POST", f"{API}/returns", {"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        ("POST", f"{API}/stages/official", {}, 401),
        ("POST", "/nonsense/", {}, 404),
        ("PUT", f"{API}/returns", {}, 405),
        ("DELETE", f"{API}/official/summary.json", {}, 405),
        ("OPTIONS", f"{API}/returns", {}, 405),
    ],
)
def test_anonymous_requests_leave_no_audit_row(
    server: dict, method: str, path: str, headers: dict, status: int
) -> None:
    before = state(server["engine"])
    response = httpx.request(
        method, f"{server['base']}{path}", headers=headers, content=b'{"contest": "party"}'
    )
    assert response.status_code == status, response.text
    if path.startswith("/api/"):
        assert response.json()["detail"]
    else:  # a page address: the site's own error page
        assert "text/html" in response.headers["content-type"] and response.text
    assert state(server["engine"]) == before


def test_two_authorization_headers_are_refused(server: dict) -> None:
    token = f"Bearer {server['tokens']['admin']}"
    response = httpx.post(
        f"{server['base']}{API}/returns",
        content=b"{}",
        headers=[("Authorization", token), ("Authorization", token)],
    )
    assert response.status_code == 401 and "one Authorization header" in response.text


def test_the_bearer_scheme_is_case_insensitive(server: dict) -> None:
    response = httpx.post(
        f"{server['base']}{API}/returns",
        json={"contest": "nonsense"},
        headers={"Authorization": f"bearer {server['tokens']['own']}"},
    )
    assert response.status_code == 422  # authenticated, then the body is judged


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"contest": "party", "counts": {"Labour Party": NaN}}', "NaN"),
        (b'{"contest": "party", "counts": {"Labour Party": Infinity}}', "Infinity"),
        (b'{"contest": "party", "contest": "candidate:32"}', "appears twice"),
        (b'{"contest": "\\ud800"}', "lone surrogate"),
        (b'{"contest": "a\\u0000b"}', "NUL"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"contest": ', "not JSON"),
    ],
)
def test_bodies_that_are_not_strict_json_are_422(server: dict, body: bytes, why: str) -> None:
    before = state(server["engine"])
    response = post(server, body)
    assert response.status_code == 422, response.text
    assert why in response.json()["detail"]
    after = state(server["engine"])
    assert after[:2] == before[:2] and after[2] == before[2] + 1


def test_validation_errors_never_echo_the_input(server: dict) -> None:
    secret = "<script>" + "x" * 100 + "</script>"
    response = post(server, {"contest": secret, "unit": 5, "stage": "nope"})
    assert response.status_code == 422
    assert "script" not in response.text and "nope" not in response.text
    assert "unit:" in response.json()["detail"]


def test_an_empty_idempotency_key_is_refused(server: dict) -> None:
    response = post(server, ATTACKS["all over ordinary and special"][0], **{"Idempotency-Key": ""})
    assert response.status_code == 422 and "idempotency-key" in response.text.lower()


def test_a_body_over_the_limit_is_413_before_it_is_read(server: dict) -> None:
    response = post(server, b"[" + b"0," * 40_000 + b"0]")
    assert response.status_code == 413 and "65,536 bytes" in response.json()["detail"]


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))


def _send_huge(base: str, token: str | None, answers: list[int]) -> None:
    """Start a 100 MB POST, send its first megabyte, and read the answer."""
    host, port = base.removeprefix("http://").split(":")
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = (
        f"POST {API}/returns HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{auth}Content-Length: {100 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())
        try:
            for _ in range(16):
                sock.sendall(b" " * 65_536)
        except OSError:
            pass  # the server answered and closed: it will not read 100 MB
        reply = b""
        while b"\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    answers.append(int(reply.split()[1]) if reply else 0)


def test_twenty_huge_bodies_at_once_cost_the_server_no_memory(server: dict) -> None:
    """Twenty concurrent 100 MB bodies, anonymous and with a valid token: every one is
    answered 401 or 413 and the server's memory grows by less than 50 MB."""
    before = _rss_kib(server["pid"])
    answers: list[int] = []
    threads = [
        threading.Thread(target=_send_huge, args=(server["base"], token, answers))
        for token in [None] * 10 + [server["tokens"]["admin"]] * 10
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers) == [401] * 10 + [413] * 10
    assert _rss_kib(server["pid"]) - before < 50 * 1024


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/elections/{'x' * 5000}.json",
        "/api/v1/elections/nz%002020.json",
        "/elections/nz-2020/official/electorates/%00/",
    ],
)
def test_hostile_paths_are_404_before_the_store(server: dict, path: str) -> None:
    response = httpx.get(f"{server['base']}{path}")
    assert response.status_code in (404, 422), response.text


def test_every_response_has_the_security_headers(server: dict) -> None:
    for path in ["/", "/elections/nz-2020/official/", f"{API}/official/summary.json", "/x/"]:
        headers = httpx.get(f"{server['base']}{path}").headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]


def test_head_is_answered_on_get_routes(server: dict) -> None:
    for path in ["/", "/elections/nz-2020/official/", f"{API}/official/summary.json"]:
        got, head = httpx.get(server["base"] + path), httpx.head(server["base"] + path)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]


def test_if_none_match_is_answered_only_for_real_routes(server: dict) -> None:
    tag = httpx.get(f"{server['base']}{API}/official/summary.json").headers["etag"]
    assert (
        httpx.get(
            f"{server['base']}{API}/official/summary.json", headers={"If-None-Match": tag}
        ).status_code
        == 304
    )
    assert (
        httpx.get(f"{server['base']}/no/such/page/", headers={"If-None-Match": tag}).status_code
        == 404
    )
