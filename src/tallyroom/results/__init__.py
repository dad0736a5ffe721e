"""The results of an election as values: what is counted at each stage (``counting``)
and the store reads that produce it (``queries``).

Everything above the store — analysis, the forecast, the site, the CLI — takes the
:class:`ElectionTally` these give, not the store: a tally carries the election's
electorates, contests and party lists, and reads its finer figures (each unit's part of
a contest, the count's progress) once, when first asked for.
"""

from tallyroom.results.counting import (
    ContestPart,
    ContestTally,
    ElectionTally,
    NoReturnsError,
    PlaceCount,
    Progress,
    UnknownElectionError,
)
from tallyroom.results.queries import (
    ElectionRecord,
    cancelled_polls,
    contest_parts,
    counted_shares,
    elections,
    latest_tally,
    stages,
    tally,
)

__all__ = [
    "ContestPart",
    "ContestTally",
    "ElectionRecord",
    "ElectionTally",
    "NoReturnsError",
    "PlaceCount",
    "Progress",
    "UnknownElectionError",
    "cancelled_polls",
    "contest_parts",
    "counted_shares",
    "elections",
    "latest_tally",
    "stages",
    "tally",
]
