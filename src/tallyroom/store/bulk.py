"""Fast bulk writes for imports: reserve ids, then hand rows to the driver's bulk path.

SQLAlchemy compiles parameters row by row, which dominates a 900,000-row import. Here
rows go as tuples to SQLite's ``executemany`` (hundreds of rows per statement) or
PostgreSQL's ``COPY``; both run inside the caller's transaction, so an import stays all
or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import polars as pl
from sqlalchemy import Connection, Table, func, select, text

_SQLITE_PARAMETERS = 999


def reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """``count`` unused ids for ``table``'s integer primary key.

    PostgreSQL draws them from the column's sequence. SQLite continues after the largest
    id; the caller must already have written in this transaction, so SQLite's write
    lock keeps anyone else from taking the same ids.
    """
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        query = text(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            "FROM generate_series(1, :n)"
        )
        return list(conn.execute(query, {"n": count}).scalars())
    start = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(start, start + count))


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        _sqlite_insert(conn, table, columns, list(chain.from_iterable(rows)))


def insert_frame(conn: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Insert the rows of ``frame`` (its columns named as ``table``'s) into ``table``.

    A frame of integers without nulls goes to SQLite as one flat list straight from its
    buffers, four times faster than as Python tuples (the 2023 counts: 196,000 rows).
    """
    if (
        frame.height
        and conn.dialect.name != "postgresql"
        and all(dtype.is_integer() for dtype in frame.dtypes)
        and not frame.null_count().sum_horizontal()[0]
    ):
        _sqlite_insert(conn, table, frame.columns, frame.to_numpy().ravel().tolist())
    else:
        insert_rows(conn, table, frame.columns, frame.rows())


def _sqlite_insert(conn: Connection, table: Table, columns: Sequence[str], flat: list) -> None:
    """Insert the rows laid end to end in ``flat`` (``len(columns)`` values each)."""
    # many rows per statement: SQLite then runs one statement per hundreds of rows,
    # about twice as fast as one per row; 999 parameters is the oldest builds' limit
    names = ", ".join(columns)
    cursor = conn.connection.driver_connection.cursor()
    row_marks = "(" + ", ".join("?" for _ in columns) + ")"
    per_statement = max(1, _SQLITE_PARAMETERS // len(columns))
    width = per_statement * len(columns)
    whole = len(flat) - len(flat) % width
    if whole:
        cursor.executemany(
            f"INSERT INTO {table.name} ({names}) VALUES {', '.join([row_marks] * per_statement)}",
            (flat[i : i + width] for i in range(0, whole, width)),
        )
    if whole < len(flat):
        rest = flat[whole:]
        cursor.executemany(
            f"INSERT INTO {table.name} ({names}) VALUES {row_marks}",
            (rest[i : i + len(columns)] for i in range(0, len(rest), len(columns))),
        )
