"""Small elections bundled with tallyroom in its own tidy format, and how they are made."""

from importlib.resources import files
from pathlib import Path

from sqlalchemy import Engine

from tallyroom.importers import tidy
from tallyroom.importers.errors import FileFormatError
from tallyroom.importers.options import ReadOptions
from tallyroom.store.imports import ImportReport, SourceFile, import_datasets

BUNDLED = {"nz-2020": "nz2020", "nz-2023": "nz2023"}
SPECIALS_HISTORY = Path(str(files(__package__) / "nz-specials.csv"))
"""New Zealand election-night and final votes 2002–2023 (see ``build_specials``)."""


def bundled_path(name: str) -> Path:
    """The directory of bundled dataset ``name`` (e.g. ``nz-2020``)."""
    return Path(str(files(__package__) / BUNDLED[name]))


def load_bundled(engine: Engine, name: str) -> ImportReport:
    """Store bundled election ``name`` (a no-op if it is already there)."""
    if name not in BUNDLED:
        raise FileFormatError(f"no bundled election {name!r}; bundled: {', '.join(BUNDLED)}")
    path = bundled_path(name)
    return import_datasets(engine, tidy.read([path], ReadOptions()), SourceFile.of("tidy", [path]))
