"""Shared fixtures: where the real published data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``../shared/data`` beside the repository, or ``$TALLYROOM_SHARED_DATA``."""
    return Path(os.environ.get("TALLYROOM_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real official data. Missing data fails the test: a skipped check is not a pass."""
    path = shared_data_dir()
    if not (path / "nz").is_dir():
        pytest.fail(
            f"real election data not found at {path}; clone with ../shared beside the "
            "repository or set TALLYROOM_SHARED_DATA"
        )
    return path
