"""The ``tallyroom`` command: each module adds its commands to the one Typer app."""

from tallyroom.cli import (  # noqa: F401 - registers the commands
    analysis,
    bundestag,
    calculator,
    corrections,
    operations,
    projection,
    publishing,
    results,
    split,
)
from tallyroom.cli.app import app

__all__ = ["app"]
