"""How big the long runs are: a smaller size in CI, the full size with ``TALLYROOM_FULL=1``
(``TALLYROOM_FULL=1 tools/test.sh``)."""

from __future__ import annotations

import os

FULL = os.environ.get("TALLYROOM_FULL") == "1"


def size(ci: int, full: int) -> int:
    """``full`` when the full-size run is asked for, else ``ci``."""
    return full if FULL else ci
