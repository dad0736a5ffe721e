"""The ``tallyroom`` command: each module adds its commands to the one Typer app."""

from tallyroom.cli import analysis, calculator, results, site  # noqa: F401 - registers commands
from tallyroom.cli.app import app

__all__ = ["app"]
