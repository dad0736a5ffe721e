"""New Zealand facts shared by the NZ importers: election ids, dates, the two rolls."""

from __future__ import annotations

import re

from tallyroom.importers.errors import FileFormatError
from tallyroom.model import Election, Roll

ELECTION_DATES = {
    2002: "2002-07-27",
    2005: "2005-09-17",
    2008: "2008-11-08",
    2011: "2011-11-26",
    2014: "2014-09-20",
    2017: "2017-09-23",
    2020: "2020-10-17",
    2023: "2023-10-14",
}
MAORI_ELECTORATES = 7
"""Since 2002 there have been seven Māori electorates, numbered after the general ones."""


def nz_election(year: int) -> Election:
    """The general election of ``year``, under the New Zealand rule set."""
    return Election(
        id=f"nz-{year}",
        name=f"New Zealand general election {year}",
        date=ELECTION_DATES.get(year, ""),
        rules="nz",
    )


def roll_of(number: int, electorates: int) -> Roll:
    """The roll of electorate ``number`` when there are ``electorates`` in all."""
    return Roll.MAORI if number > electorates - MAORI_ELECTORATES else Roll.GENERAL


def is_informal(name: str) -> bool:
    """Rows the published files list as if they were a party or candidate."""
    return name.strip().lower().startswith("informal")


def year_of(election: str) -> int:
    """The year of an ``--election nz-YYYY`` id, or an error saying the form expected."""
    match = re.fullmatch(r"nz-(\d{4})", election)
    if not match:
        raise FileFormatError(f"--election must be nz-YYYY for this format, not {election!r}")
    return int(match.group(1))
