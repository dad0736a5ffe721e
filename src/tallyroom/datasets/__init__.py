"""Small elections bundled with tallyroom in its own tidy format, and how they are made."""

from importlib.resources import files
from pathlib import Path

BUNDLED = {"nz-2020": "nz2020"}


def bundled_path(name: str) -> Path:
    """The directory of bundled dataset ``name`` (e.g. ``nz-2020``)."""
    return Path(str(files(__package__) / BUNDLED[name]))
