"""What the user may tell an importer beyond the files themselves."""

from __future__ import annotations

from dataclasses import dataclass

from tallyroom.model import Stage


@dataclass(frozen=True)
class ReadOptions:
    """``stage`` and ``election`` override what an importer would infer from its files."""

    stage: Stage | None = None
    election: str | None = None
