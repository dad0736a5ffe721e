"""``tallyroom corrections``: the corrections held for a second admin, and deciding them
at the command line (as the store's operator, which the audit log names)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from tallyroom.cli.app import (
    OPERATIONS,
    Commands,
    DataTable,
    DbOption,
    JsonOption,
    app,
    console,
    guarded,
)
from tallyroom.store import audit
from tallyroom.store.database import open_store
from tallyroom.store.review import APPROVED, REJECTED, decide_held, held
from tallyroom.store.users import Role, User

corrections = Commands(
    help="Corrections that would change an outcome, held until a second admin decides.",
    no_args_is_help=True,
)
app.add_typer(corrections, name="corrections", rich_help_panel=OPERATIONS)

Election = Annotated[str, typer.Argument(help="Election id, e.g. nz-2020.")]
ReturnId = Annotated[int, typer.Argument(help="The held return's id (from 'corrections list').")]
Reason = Annotated[str, typer.Option(help="Why, for the audit log.")]


@corrections.command("list")
def corrections_list(election: Election, db: DbOption = None, as_json: JsonOption = False) -> None:
    """The corrections under review, oldest first (their figures are not shown)."""
    found = held(guarded(lambda: open_store(db)), election)
    if as_json:
        typer.echo(json.dumps([vars(h) for h in found], ensure_ascii=False, indent=2))
        return
    if not found:
        console.print(f"No corrections of {escape(election)} are under review.")
        return
    table = DataTable(
        "Return", "Corrects", "Contest", "Unit", "Stage", "Submitted by", "Reason",
        title=f"Corrections of {election} under review",
    )  # fmt: skip
    for h in found:
        table.add_row(
            str(h.return_id),
            str(h.supersedes or ""),
            h.contest,
            h.unit,
            f"{h.stage} ({h.count_type})",
            h.submitted_by,
            h.reason,
        )
    console.print(table)


@corrections.command("approve")
def corrections_approve(
    election: Election, return_id: ReturnId, reason: Reason = "", db: DbOption = None
) -> None:
    """Approve a held correction: it counts from now on (audited)."""
    _decide(election, return_id, APPROVED, reason, db)


@corrections.command("reject")
def corrections_reject(
    election: Election, return_id: ReturnId, reason: Reason = "", db: DbOption = None
) -> None:
    """Reject a held correction: it never counts; the return it named stands (audited)."""
    _decide(election, return_id, REJECTED, reason, db)


def _decide(election: str, return_id: int, decision: str, reason: str, db: str | None) -> None:
    engine = guarded(lambda: open_store(db))
    operator = User(audit.OPERATOR, Role.ADMIN)
    guarded(lambda: decide_held(engine, operator, election, return_id, decision, reason))
    console.print(f"Return {return_id} of {escape(election)} is {decision}.")
