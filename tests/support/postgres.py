"""Databases on the test PostgreSQL cluster (see the ``postgres_server`` fixture)."""

from __future__ import annotations

import itertools

from sqlalchemy import create_engine, text


def new_postgres_database(base: str) -> str:
    """A new, empty database on the cluster at ``base``; returns its URL."""
    name = f"test_{next(_DATABASE_NUMBERS)}"
    engine = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return f"{base}/{name}"


_DATABASE_NUMBERS = itertools.count()
