"""The ``tallyroom`` Typer application and what every command shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand, TyperGroup, TyperOption

from tallyroom import __version__
from tallyroom.errors import TallyroomError

RESULTS = "Results"
ANALYSIS = "Analysis"
OPERATIONS = "Count operations"
SITE = "Site"
PANELS = (RESULTS, ANALYSIS, OPERATIONS, SITE)
"""The panels ``tallyroom --help`` lists the commands under, in this order."""


class _Flagless:
    """Help that shows no type beside a flag: ``--json`` takes no value, so ``<bool>``
    beside it (and beside ``--help``) would only mislead."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The command's parameters (``--help`` and completion included), flags untyped."""
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if isinstance(param, TyperOption) and param.is_flag:
                param.metavar = ""
        return params


class Command(_Flagless, TyperCommand):
    """A ``tallyroom`` command (see :class:`_Flagless`)."""


class Group(_Flagless, TyperGroup):
    """A group of ``tallyroom`` commands (see :class:`_Flagless`), listed panel by panel
    in the order of :data:`PANELS`, each panel's commands in the order they were added."""

    def list_commands(self, ctx: Any) -> list[str]:
        """The commands' names, by panel."""

        def place(name: str) -> int:
            panel = getattr(self.commands[name], "rich_help_panel", None)
            return PANELS.index(panel) if panel in PANELS else len(PANELS)

        return sorted(super().list_commands(ctx), key=place)


class Commands(typer.Typer):
    """The Typer app whose commands and groups are :class:`Command` and :class:`Group`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=Group, rich_markup_mode="markdown", **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        """Register a command, a :class:`Command` unless another class is given."""
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)


app = Commands(
    help="Election results for mixed-member proportional elections and referendums.",
    no_args_is_help=True,
)
console = Console()
T = TypeVar("T")


class DataTable(Table):
    """A Rich table whose text cells are shown as they are: names from the data are
    never read as Rich markup (a candidate called ``[/]`` neither crashes the command
    nor hides text). Cells meant to be styled are passed as :class:`rich.text.Text`."""

    def add_row(self, *cells: Any, **options: Any) -> None:
        """Add a row, text cells taken literally."""
        super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **options)

    def add_columns(self, *headers: str, left: int = 1) -> None:
        """Add columns: the first ``left`` (names) left-aligned, the rest (figures) right."""
        for i, header in enumerate(headers):
            self.add_column(header, justify="left" if i < left else "right")


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store URL, e.g. sqlite:///results.db or postgresql+psycopg://user@host/db "
        "(default: $TALLYROOM_DB, else tallyroom.db in your user data directory).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
_FAILURES = (TallyroomError, FileNotFoundError)
"""What a command reports as one line and exit code 2: every error a user can meet."""


def _version(value: bool) -> None:
    if value:
        console.print(f"tallyroom {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """tallyroom counts returns, allocates seats by the law and explains the result."""


def progress_bar(clock: ProgressColumn | None = None, *, transient: bool = True) -> Progress:
    """The commands' progress bar: what, a bar, n of m, and ``clock`` (time elapsed unless
    given); it vanishes when done unless ``transient`` is False. Off where the output is
    not a terminal, where it would leave only a blank line."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        clock or TimeElapsedColumn(),
        console=console,
        transient=transient,
        disable=not console.is_terminal,
    )


def guarded(action: Callable[[], T]) -> T:
    """Run ``action``; a bad input becomes one line on standard error and exit code 2."""
    try:
        return action()
    except _FAILURES as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
