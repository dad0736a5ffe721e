"""Where the repository and the real published data are."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """``../shared/data`` beside the repository, or ``$TALLYROOM_SHARED_DATA``."""
    return Path(os.environ.get("TALLYROOM_SHARED_DATA", REPO.parent / "shared" / "data"))
