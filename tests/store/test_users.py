"""Users' lifecycle: tokens that expire, are rotated or revoked, every change audited;
through the command line and the real app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from tallyroom.cli import app as cli
from tallyroom.publish.web import create_app
from tallyroom.store import audit
from tallyroom.store import schema as t
from tallyroom.store.database import open_store
from tallyroom.store.users import Role, UserError, add_user, authenticate, revoke_user, rotate_token
from tests.support.servers import nz2020_store

STAGE = "/api/v1/elections/nz-2020/stages/recount"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return nz2020_store(f"sqlite:///{tmp_path / 'users.db'}")


def closes_a_stage(client: TestClient, token: str) -> int:
    return client.post(STAGE, json={"status": "closed"},
                       headers={"Authorization": f"Bearer {token}"}).status_code  # fmt: skip


def test_rotate_and_revoke_end_a_token_at_once(url: str) -> None:
    engine = open_store(url)
    old = add_user(engine, "Deputy", Role.ADMIN)
    with TestClient(create_app(engine)) as client:
        assert closes_a_stage(client, old) == 200
        new = rotate_token(engine, "Deputy")
        assert closes_a_stage(client, old) == 401
        assert closes_a_stage(client, new) == 200
        revoke_user(engine, "Deputy")
        assert closes_a_stage(client, new) == 401
    with pytest.raises(UserError, match="was revoked"):
        rotate_token(engine, "Deputy")
    actions = [e["action"] for e in audit.entries_of_users(engine)]
    assert actions == ["user-add", "user-rotate", "user-revoke"]
    assert audit.verify(engine).intact


def test_an_expired_token_stops_working(url: str) -> None:
    engine = open_store(url)
    token = add_user(engine, "Temp", Role.ADMIN, expires=datetime.now(UTC) + timedelta(days=1))
    assert authenticate(engine, token) is not None
    with engine.begin() as conn:  # a day passes
        conn.execute(update(t.app_user).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert authenticate(engine, token) is None
    with pytest.raises(UserError, match="in the past"):
        add_user(engine, "Late", Role.ADMIN, expires=datetime.now(UTC) - timedelta(days=1))


def test_the_command_line_manages_tokens(url: str) -> None:
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "[bold]Night[/] RO", "--role", "returning-officer",
                                "--electorate", "32", "--expires", "2099-01-01", "--db", url])  # fmt: skip
    assert added.exit_code == 0, added.output
    said = " ".join(added.output.split())  # the terminal folds long lines
    assert "[bold]Night[/] RO" in said and "until 2099-01-01 00:00 UTC" in said
    token = added.output.strip().splitlines()[-1]
    engine = open_store(url)
    assert authenticate(engine, token).name == "[bold]Night[/] RO"
    rotated = runner.invoke(cli, ["users", "rotate", "[bold]Night[/] RO", "--db", url])
    assert rotated.exit_code == 0 and authenticate(engine, token) is None
    listed = runner.invoke(cli, ["users", "list", "--db", url])
    assert "[bold]Night[/] RO" in listed.output
    revoked = runner.invoke(cli, ["users", "revoke", "[bold]Night[/] RO", "--db", url])
    assert revoked.exit_code == 0
    assert "Night" not in runner.invoke(cli, ["users", "list", "--db", url]).output
    missing = runner.invoke(cli, ["users", "revoke", "Nobody", "--db", url])
    assert missing.exit_code == 2 and "no user called 'Nobody'" in missing.output


def test_a_closed_stage_takes_no_import_unless_forced(tmp_path: Path, shared_data: Path) -> None:
    """Closing the official stage stops imports into it; a refused import is audited, and a
    forced one says so in the log."""
    url = f"sqlite:///{tmp_path / 'closed.db'}"
    files = str(shared_data / "nz" / "2020" / "electorate-results-official.csv")
    runner = CliRunner()
    first = runner.invoke(cli, ["import", "nz-tidy-2020", str(shared_data / "nz" / "2020" /
                                "electorate-results-preliminary.csv"), "--db", url])  # fmt: skip
    assert first.exit_code == 0, first.output
    assert (
        runner.invoke(cli, ["stage", "nz-2020", "official", "closed", "--db", url]).exit_code == 0
    )
    refused = runner.invoke(cli, ["import", "nz-tidy-2020", files, "--db", url])
    assert refused.exit_code == 2 and "official stage of nz-2020 is closed" in refused.output
    engine = open_store(url)
    last = audit.entries(engine, "nz-2020")[-1]
    assert (last["action"], last["outcome"]) == ("import", "refused")
    forced = runner.invoke(cli, ["import", "nz-tidy-2020", files, "--force", "--db", url])
    assert forced.exit_code == 0, forced.output
    last = audit.entries(engine, "nz-2020")[-1]
    assert (last["outcome"], last["detail"]["forced"]) == ("accepted", True)
    assert audit.verify(engine).intact
