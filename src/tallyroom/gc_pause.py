"""Bulk work without the cyclic garbage collector's pauses.

Reading an election's files builds hundreds of thousands of small, long-lived objects
(rows, counts, returns) with no reference cycles among them. Each few hundred new
objects start a collection, and the growing heap makes the older generations' passes
ever longer while they find nothing to free: about a sixth of a 2023 import. Work
wrapped in :func:`paused_collection` runs with the collector off; it is switched back
on (if it was on) when the work ends, however it ends, and reference counting frees
memory as usual meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_collection() -> Iterator[None]:
    """Run the enclosed work (or the decorated function) with cyclic collection off."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
