"""Candidates named as the store names them.

Two publications of one count may name a candidate differently: the 2020 election-night
file has "MELLOW, Emma" where the official files have "MELLOW-SANDFORD, Emma Jane", and
"LEWIS, Steph" for "LEWIS CARR, Stephanie", "STAPLES, Charlotte" for "McCARTHY, Charlotte
Miria". Imported as they stand, those would be new candidates, and the stored ones would
look left out of the night's returns. Before an import is written, each candidate its
files name that the store does not hold is matched to a stored candidate of the same
contest: the party's candidate, where the files and the store each have exactly one for
that party (a party stands one candidate in an electorate), or, for an independent, the
same person by :func:`tallyroom.names.same_person` where exactly one fits. Anything else
stays a new candidate. This is done for election-night returns only (see
:func:`as_stored`), and the import reports how many candidates it renamed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from sqlalchemy import Connection, select

from tallyroom.model import ContestKind, Dataset, Return, Stage
from tallyroom.names import same_person
from tallyroom.store import schema as t

INDEPENDENT = ("", "Independent")


def as_stored(conn: Connection, dataset: Dataset) -> tuple[Dataset, int]:
    """``dataset`` with its candidates renamed to the stored candidates they match, and
    how many were renamed. Only a dataset whose candidate returns are all election-night
    ones is matched: the night names people in short forms the later counts do not, and
    a by-election's candidates are new people, never the general election's. A dataset
    read as a table (the Commission's full statistics and history files, which name
    every candidate in full, as the official count does) is stored as it is."""
    candidate_contests = {c.code for c in dataset.contests if c.kind is ContestKind.CANDIDATE}
    night_only = all(
        r.stage is Stage.PRELIMINARY for r in dataset.returns if r.contest in candidate_contests
    )
    if not candidate_contests or dataset.table is not None or not night_only:
        return dataset, 0
    stored = _stored(conn, dataset.election.id, candidate_contests)
    if not stored:
        return dataset, 0
    standing = Counter((c.contest, c.party) for c in dataset.choices)
    renamed: dict[tuple[str, str], str] = {}
    for choice in dataset.choices:
        known = stored.get(choice.contest, [])
        if choice.contest not in candidate_contests or choice.name in {n for n, _ in known}:
            continue
        if choice.party in INDEPENDENT:
            fits = [name for name, party in known if same_person(choice.name, name)]
        elif standing[choice.contest, choice.party] == 1:
            fits = [name for name, party in known if party == choice.party]
        else:
            fits = []
        if len(fits) == 1:
            renamed[choice.contest, choice.name] = fits[0]
    if not renamed:
        return dataset, 0
    found = replace(
        dataset,
        choices=[
            replace(c, name=renamed.get((c.contest, c.name), c.name)) for c in dataset.choices
        ],
        returns=[_renamed(r, renamed) for r in dataset.returns],
    )
    return found, len(renamed)


def _stored(
    conn: Connection, election: str, contests: set[str]
) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    rows = conn.execute(
        select(t.contest.c.code, t.choice.c.name, t.choice.c.party)
        .join(t.choice, t.choice.c.contest_id == t.contest.c.id)
        .where(t.contest.c.election_id == election, t.contest.c.code.in_(contests))
    )
    for code, name, party in rows:
        found.setdefault(code, []).append((name, party))
    return found


def _renamed(ret: Return, renamed: dict[tuple[str, str], str]) -> Return:
    if not any((ret.contest, name) in renamed for name in ret.counts):
        return ret
    counts = {renamed.get((ret.contest, name), name): v for name, v in ret.counts.items()}
    return replace(ret, counts=counts)
