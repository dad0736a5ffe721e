"""What the user may tell an importer beyond the files themselves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tallyroom.model import Stage


@dataclass(frozen=True)
class ReadOptions:
    """``stage`` and ``election`` override what an importer would infer from its files;
    ``population`` is a table of regional population, for the formats that read one."""

    stage: Stage | None = None
    election: str | None = None
    population: Path | None = None
