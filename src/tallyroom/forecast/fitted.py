"""The special-vote model fitted to the bundled New Zealand history, once per year."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl

from tallyroom.datasets import SPECIALS_HISTORY
from tallyroom.forecast.history import read_history
from tallyroom.forecast.specials import NoHistoryError, SpecialModel, fit

METHOD = (
    "Each electorate's outstanding special votes are drawn to split like its ordinary "
    "votes, every party scaled by how its special votes compared with its ordinary votes "
    "at the last election (in that electorate, shrunk towards the national pattern), with "
    "errors as large as the method's own at past elections; the House is allocated for "
    "every draw."
)
"""The method in one sentence, as the projection panel shows it."""
TRACK_RECORD = Path(str(files("tallyroom.forecast") / "track-record.json"))
"""The backtest the method page shows, written by ``tallyroom project --backtest --json``."""


@cache
def bundled_history() -> pl.DataFrame:
    """The bundled night and final votes of New Zealand elections 2002–2023."""
    return read_history(SPECIALS_HISTORY)


def election_year(election: str) -> int:
    """The year of a New Zealand election id (``nz-2020``)."""
    found = re.fullmatch(r"nz-(\d{4})", election)
    if not found:
        raise NoHistoryError(
            f"{election}: projections need the special-vote history of earlier elections, "
            "which tallyroom has for New Zealand elections (nz-YYYY) only"
        )
    return int(found.group(1))


@cache
def model_for(election: str) -> SpecialModel:
    """The model for ``election``, fitted to the bundled elections before it."""
    return fit(bundled_history(), election_year(election))


def projectable(election: str) -> bool:
    """Whether the bundled history has an election before ``election`` to fit to."""
    try:
        year = election_year(election)
    except NoHistoryError:
        return False
    return bool(bundled_history().filter(pl.col("year") < year).height)


@cache
def track_record() -> dict[str, Any]:
    """The bundled backtest (``tallyroom project --backtest --json``, see
    :data:`TRACK_RECORD`): every election and method scored, and each method pooled."""
    return json.loads(TRACK_RECORD.read_text(encoding="utf-8"))
