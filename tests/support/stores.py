"""Helpers for store tests: import through the real code path, and fingerprint a store."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from tallyroom.importers.formats import format_named
from tallyroom.importers.options import ReadOptions
from tallyroom.model import Stage
from tallyroom.store import schema as t
from tallyroom.store.imports import ImportReport, SourceFile, import_datasets


def import_files(engine: Engine, format: str, paths: list[Path], *, stage: Stage | None = None,
                 election: str | None = None, population: Path | None = None,
                 replace: bool = False, reason: str = "") -> ImportReport:  # fmt: skip
    """What ``tallyroom import`` does, without the progress bar."""
    reader = format_named(format)
    options = ReadOptions(stage, election, population)
    datasets = reader.read(paths, options)
    source = SourceFile.of(format, reader.files(paths, options))
    return import_datasets(engine, datasets, source, replace=replace, reason=reason)


AUDIT = ("audit_log", "audit_head")
"""the log that records refusals too: a refused import adds a row there and nowhere else"""


def fingerprint(engine: Engine) -> dict[str, int]:
    """Row counts of every table but the audit log's, and the sums of all votes: equal
    means the results are unchanged (a refusal is still written to the audit log)."""
    with engine.connect() as conn:
        found = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
            if table.name not in AUDIT
        }
        found["votes"] = conn.execute(
            select(func.coalesce(func.sum(t.vote_count.c.votes), 0))
        ).scalar_one()
        found["informal"] = conn.execute(
            select(func.coalesce(func.sum(t.vote_return.c.informal), 0))
        ).scalar_one()
    return found
