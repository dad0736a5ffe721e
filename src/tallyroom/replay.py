"""Replay a real election through the returns API, as its returning officers sent it.

Returns go one reporting unit at a time, in count order: election night's ordinary votes
first, then the official count's recounted ordinary votes, then special votes, then any
recount. ``speed`` compresses time: each stage's returns are spread evenly over the hours
it took on the night (:data:`STAGE_HOURS`) divided by ``speed``; 0 sends them back to
back. Submissions are idempotent, so an interrupted replay resumes where it stopped, and
a return the server was too busy to store is simply sent again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from tallyroom.errors import InvalidError
from tallyroom.model import CountType, Dataset, Return, Stage

STAGE_HOURS = {Stage.PRELIMINARY: 5.0, Stage.OFFICIAL: 2.0, Stage.RECOUNT: 1.0,
               Stage.BY_ELECTION: 1.0}  # fmt: skip
"""Roughly how long each stage took to report in 2020: election night from 7 pm until
the last results after midnight; the official count's electorates over an afternoon."""
BUSY_RETRIES = 30
"""how many times a return the server was too busy to store (503) is sent"""
_STAGE_ORDER = {stage: i for i, stage in enumerate(Stage)}
_NUMBER = re.compile(r"(?:electorate|candidate|area):(\d+)")


class ReplayError(InvalidError):
    """The server refused a return; nothing after it was sent."""


@dataclass(frozen=True)
class ReplayReport:
    """What a replay sent: returns stored now, and returns the server already had."""

    stored: int
    already: int


def in_count_order(datasets: Sequence[Dataset]) -> list[Return]:
    """Every return of ``datasets`` in the order a count reports them."""
    returns = [r for d in datasets for r in d.all_returns()]
    return sorted(returns, key=_order)


def return_body(r: Return) -> dict:
    """``r`` as the JSON body of ``POST /api/v1/elections/{election}/returns``."""
    return {
        "contest": r.contest,
        "unit": r.unit,
        "stage": r.stage.value,
        "count_type": r.count_type.value,
        "counts": dict(r.counts),
        "informal": r.informal,
    }


def _order(r: Return) -> tuple:
    """Stage, ordinary before special, then electorate by electorate: its voting places,
    then its electorate-wide returns."""
    found = _NUMBER.search(r.unit) or _NUMBER.search(r.contest)
    return (
        _STAGE_ORDER[r.stage],
        r.count_type.is_special,
        int(found.group(1)) if found else 10_000,
        r.count_type is CountType.ALL,
        r.unit,
        r.contest,
    )


def send_returns(
    returns: Sequence[Return],
    election: str,
    url: str,
    token: str,
    speed: float,
    progress: Callable[[Return, int], None] | None = None,
    client: httpx.Client | None = None,
) -> ReplayReport:
    """POST ``returns`` to the server at ``url`` as the holder of ``token``."""
    per_stage = {s: sum(1 for r in returns if r.stage is s) for s in Stage}
    http = client or httpx.Client(base_url=url, timeout=30)
    stored = already = 0
    for r in returns:
        response = _post(http, f"/api/v1/elections/{election}/returns", return_body(r), token)
        if response.status_code not in (200, 201):
            raise ReplayError(
                f"{r.contest} at {r.unit} ({r.stage}, {r.count_type}): HTTP "
                f"{response.status_code}: {response.json().get('detail', response.text)}"
            )
        if response.status_code == 201:
            stored += 1
        else:
            already += 1
        if progress:
            progress(r, response.status_code)
        if speed > 0:
            time.sleep(STAGE_HOURS[r.stage] * 3600 / per_stage[r.stage] / speed)
    return ReplayReport(stored, already)


def _post(http: httpx.Client, path: str, body: dict, token: str) -> httpx.Response:
    """POST ``body``, waiting out a busy store: a 503 is sent again after its Retry-After,
    up to :data:`BUSY_RETRIES` times (safe, since a return sent twice is stored once)."""
    for _ in range(BUSY_RETRIES):
        response = http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 503:
            break
        time.sleep(float(response.headers.get("Retry-After", "1")))
    return response
