"""Election-night commands: users and tokens, the audit log, stages, and replaying a
real election through the returns API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import httpx
import typer
from rich.markup import escape
from rich.progress import TimeRemainingColumn

from tallyroom.cli.app import (
    OPERATIONS,
    Commands,
    DataTable,
    DbOption,
    JsonOption,
    app,
    console,
    guarded,
    progress_bar,
)
from tallyroom.datasets import BUNDLED, bundled_path
from tallyroom.importers import tidy
from tallyroom.importers.errors import FileFormatError
from tallyroom.importers.formats import format_named
from tallyroom.importers.options import ReadOptions
from tallyroom.model import Return, Stage
from tallyroom.replay import ReplayError, in_count_order, send_returns
from tallyroom.store import audit
from tallyroom.store.database import open_store
from tallyroom.store.imports import define
from tallyroom.store.signing import checked_head, signed_head
from tallyroom.store.submit import set_stage
from tallyroom.store.users import (
    Role,
    User,
    UserError,
    add_user,
    list_users,
    revoke_user,
    rotate_token,
)

T = TypeVar("T")
users = Commands(help="Users who may write returns, and their tokens.", no_args_is_help=True)
audit_app = Commands(help="The hash-chained log of every write.", no_args_is_help=True)
app.add_typer(users, name="users", rich_help_panel=OPERATIONS)
app.add_typer(audit_app, name="audit", rich_help_panel=OPERATIONS)


@users.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Who the user is, e.g. 'Northland RO'.")],
    role: Annotated[Role, typer.Option(help="admin or returning-officer.")],
    electorate: Annotated[
        int | None, typer.Option(help="The returning officer's electorate number.", min=1)
    ] = None,
    expires: Annotated[
        datetime | None,
        typer.Option(
            help="When the token stops working (UTC), e.g. 2026-10-31.",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"],
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Add a user and print their token: once, as it is stored only as a hash."""
    when = expires.replace(tzinfo=UTC) if expires else None
    token = _user_change(lambda: add_user(open_store(db), name, role, electorate, when))
    where = f" for electorate {electorate}" if electorate else ""
    until = f", until {when:%Y-%m-%d %H:%M} UTC" if when else ""
    console.print(escape(f"Added {name} ({role}{where}{until}). Token (shown once, keep it safe):"))
    typer.echo(token)


@users.command("revoke")
def users_revoke(
    name: Annotated[str, typer.Argument(help="The user whose token stops working for good.")],
    db: DbOption = None,
) -> None:
    """Revoke a user: their token stops working at once (audited)."""
    _user_change(lambda: revoke_user(open_store(db), name))
    console.print(escape(f"Revoked {name}: their token no longer works."))


@users.command("rotate")
def users_rotate(
    name: Annotated[str, typer.Argument(help="The user who gets a new token.")],
    db: DbOption = None,
) -> None:
    """Give a user a new token and print it once; the old one stops working (audited)."""
    token = _user_change(lambda: rotate_token(open_store(db), name))
    console.print(escape(f"New token for {name} (shown once; the old one no longer works):"))
    typer.echo(token)


def _user_change(change: Callable[[], T]) -> T:
    """Run a change to the users; a refusal is one line and exit code 2."""
    try:
        return change()
    except UserError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


@users.command("list")
def users_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the users and their roles (never their tokens)."""
    found = list_users(guarded(lambda: open_store(db)))
    if as_json:
        typer.echo(json.dumps([u.__dict__ for u in found], indent=2))
        return
    table = DataTable(title="Users")
    for header in ("Name", "Role", "Electorate"):
        table.add_column(header)
    for u in found:
        table.add_row(u.name, u.role, str(u.electorate or ""))
    console.print(table if found else "No users yet: tallyroom users add NAME --role admin")


@audit_app.command("verify")
def audit_verify(
    against: Annotated[
        Path | None,
        typer.Option(
            help="A signed head saved earlier (from /api/v1/audit/head or 'audit head'): "
            "check that the log still passes through it.",
            dir_okay=False,
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(help="The public key to trust for --against (base64, /api/v1/audit/key)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Recompute the audit chain and check every stored figure against it; exit 1 if a
    row, a count or a review was changed, added or deleted behind the log's back."""
    anchor = None
    if against is not None:
        try:
            anchor = checked_head(json.loads(against.read_text(encoding="utf-8")), key)
        except (OSError, ValueError) as error:
            typer.echo(f"error: {against}: {error}", err=True)
            raise typer.Exit(2) from None
    result = audit.verify(guarded(lambda: open_store(db)), anchor)
    if result.intact:
        extends = f"; it extends the head of row {anchor[0]:,}" if anchor else ""
        console.print(
            f"The audit log is intact: {result.rows:,} rows, head {result.head[:16]}…, "
            f"the figures of {result.sources:,} sources as recorded{extends}."
        )
        return
    for problem in result.problems:
        typer.echo(f"BROKEN: {escape(problem)}", err=True)
    raise typer.Exit(1)


@audit_app.command("head")
def audit_head(db: DbOption = None) -> None:
    """Print the audit log's head, signed with the store's key (JSON, for observers to keep
    and later check with 'audit verify --against')."""
    head = signed_head(guarded(lambda: open_store(db)))
    typer.echo(json.dumps(head.to_dict(), indent=2))


@audit_app.command("show")
def audit_show(
    election: Annotated[str, typer.Argument(help="Election id, e.g. nz-2020.")],
    electorate: Annotated[int | None, typer.Option(help="Only this electorate.")] = None,
    last: Annotated[int, typer.Option(help="Show the last N entries.", min=1)] = 50,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the writes to an election: who, when, what, outcome and why."""
    rows = audit.entries(guarded(lambda: open_store(db)), election, electorate)[-last:]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    table = DataTable(
        title=f"Audit log of {election}" + (f", electorate {electorate}" if electorate else "")
    )
    for header in ("#", "When (UTC)", "Who", "Action", "Outcome"):
        table.add_column(header, no_wrap=header != "Who")
    table.add_column("What", ratio=1, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["at"][5:19].replace("T", " "),
            row["actor"],
            row["action"],
            f"{row['outcome']} ({row['status']})",
            _what(row["detail"]),
        )
    console.print(table if rows else f"No writes to {election} yet.")


def _what(detail: dict) -> str:
    """An audit entry's detail as one readable line: a return by its contest, unit and
    version; an import by its files and counts; anything else as ``key value`` pairs."""
    reason = f" — {detail['reason']}" if detail.get("reason") else ""
    if detail.get("why"):
        return str(detail["why"])
    if "contest" in detail:
        return (
            f"{detail.get('contest')} @ {detail.get('unit')} {detail.get('stage')} "
            f"{detail.get('count_type')} v{detail.get('version')}{reason}"
        )
    if "files" in detail:
        return (
            f"{detail.get('format')} import of {detail['files']}: {detail.get('new', 0):,} new, "
            f"{detail.get('replaced', 0):,} replaced, {detail.get('unchanged', 0):,} unchanged"
            f"{reason}"
        )
    return ", ".join(f"{k} {v}" for k, v in detail.items() if v not in ("", None))


@app.command("stage", rich_help_panel=OPERATIONS)
def stage_command(
    election: Annotated[str, typer.Argument(help="Election id, e.g. nz-2020.")],
    stage: Annotated[Stage, typer.Argument(help="preliminary, official or recount.")],
    status: Annotated[str, typer.Argument(help="open or closed.")],
    db: DbOption = None,
) -> None:
    """Open or close a stage of the count for returns (as the store's operator; audited)."""
    if status not in ("open", "closed"):
        typer.echo("error: status: give open or closed", err=True)
        raise typer.Exit(2)
    guarded(
        lambda: set_stage(open_store(db), User(audit.OPERATOR, Role.ADMIN), election, stage, status)
    )
    console.print(f"The {stage} stage of {election} is {status}.")


@app.command("replay", rich_help_panel=OPERATIONS)
def replay_command(
    election: Annotated[str, typer.Argument(help="Election id, e.g. nz-2020.")],
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="A bundled election (nz-2020) or FORMAT:PATH, e.g. "
            "nz-official:../shared/data/nz/official/2020 for voting-place returns.",
        ),
    ],
    url: Annotated[str, typer.Option(help="The tallyroom server to send returns to.")] = (
        "http://127.0.0.1:8000"
    ),
    token: Annotated[
        str, typer.Option(envvar="TALLYROOM_TOKEN", help="An admin's token ($TALLYROOM_TOKEN).")
    ] = "",
    speed: Annotated[
        float,
        typer.Option(
            min=0,
            help="Times faster than real time: 60 plays election night's five hours in five "
            "minutes; 0 sends every return at once.",
        ),
    ] = 60.0,
    db: DbOption = None,
) -> None:
    """Replay a real election through the returns API, unit by unit: election night's
    ordinary votes, then the official count, then special votes. Watch it on the site.

    The election's parties, electorates and contests are first defined in the server's
    store (--db, the same store the server uses); the returns then go through the API as
    an admin would send them. Interrupted, it resumes where it stopped.
    """
    if not token:
        typer.echo(
            "error: --token: give an admin's token (tallyroom users add NAME --role admin)",
            err=True,
        )
        raise typer.Exit(2)

    def read() -> list:
        datasets = _replay_source(source)
        if election not in {d.election.id for d in datasets}:
            found = ", ".join(sorted({d.election.id for d in datasets}))
            raise FileFormatError(f"--from {source} holds {found}, not {election}")
        chosen = [d for d in datasets if d.election.id == election]
        define(open_store(db), chosen)
        return in_count_order(chosen)

    returns = guarded(read)
    console.print(f"Replaying {len(returns):,} returns of {election} to {url} at {speed:g}× speed")
    with progress_bar(TimeRemainingColumn(), transient=False) as bar:
        task = bar.add_task("sending", total=len(returns))

        def sent(r: Return, _status: int) -> None:
            bar.update(task, advance=1, description=f"{r.stage} {r.unit:<16.16}")

        try:
            report = send_returns(returns, election, url, token, speed, sent)
        except (ReplayError, httpx.HTTPError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
    console.print(f"Done: {report.stored:,} returns stored, {report.already:,} already there.")


def _replay_source(source: str) -> list:
    """The datasets a --from value names."""
    if source in BUNDLED:
        return tidy.read([bundled_path(source)], ReadOptions())
    format_name, _, path = source.partition(":")
    if not path:
        raise FileFormatError(
            f"--from {source!r}: give a bundled election ({', '.join(BUNDLED)}) or FORMAT:PATH"
        )
    return format_named(format_name).read([Path(path)], ReadOptions())
