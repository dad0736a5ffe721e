"""Sequences of requests against a stored count, checked step by step against a model.

A Hypothesis state machine drives the real app (every middleware and route, on a real
SQLite store) with submissions, corrections, reviews, stage changes and anonymous junk,
from several users. The model is written here from the rules as stated, not from the
code: which requests must be refused and with what status, which corrections change an
outcome and so wait for a second admin. After every step:

* no response is a 5xx, and each status is one the model allows;
* the tally equals the sum of the latest counted versions the model holds, summed
  afresh and summed as a server does, again only for the contests a step changed;
* the audit log has exactly one row per authenticated request, none for anonymous ones,
  and ``audit verify`` passes.

CI runs 100 sequences; ``TALLYROOM_FULL=1`` runs 10,000 (or ``TALLYROOM_SEQUENCES=N``
any number, with ``--hypothesis-seed`` to run several shards side by side).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import hypothesis
import pytest
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import Engine, delete, func, select, update

from tallyroom.model import (
    Choice,
    Contest,
    ContestKind,
    CountType,
    Dataset,
    Election,
    Electorate,
    Party,
    Stage,
    Unit,
    UnitKind,
)
from tallyroom.publish.site import store_generation
from tallyroom.publish.web import create_app
from tallyroom.results import NoReturnsError, tally
from tallyroom.results.summed import SummedRows
from tallyroom.rules.fpp import decide_electorate
from tallyroom.rules.mmp import allocate_mmp
from tallyroom.rules.systems import named
from tallyroom.store import audit
from tallyroom.store import schema as t
from tallyroom.store.database import open_store, writing
from tallyroom.store.imports import define
from tallyroom.store.users import Role, add_user
from tests.support.sizes import size

SEQUENCES = int(os.environ.get("TALLYROOM_SEQUENCES", size(100, 10_000)))
ELECTION = "seq"
API = f"/api/v1/elections/{ELECTION}"
ELECTORATES = (1, 2, 3)
ELECTORS = 14_000
PARTIES = ("Left", "Centre", "Right")
CANDIDATES = {n: (f"L{n}", f"R{n}") for n in ELECTORATES}
PARTY_OF = {f"L{n}": "Left" for n in ELECTORATES} | {f"R{n}": "Right" for n in ELECTORATES}
STAGES = (Stage.PRELIMINARY, Stage.OFFICIAL)
COUNT_TYPES = (CountType.ALL, CountType.ORDINARY, CountType.SPECIAL)
USERS = {  # name: (role, electorate)
    "admin one": (Role.ADMIN, None),
    "admin two": (Role.ADMIN, None),
    "ro one": (Role.RETURNING_OFFICER, 1),
    "ro two": (Role.RETURNING_OFFICER, 2),
}


def _dataset() -> Dataset:
    electorates = [Electorate(n, f"Seat {n}", electors=ELECTORS) for n in ELECTORATES]
    units = [Unit(f"electorate:{n}", UnitKind.ELECTORATE, f"Seat {n}", n) for n in ELECTORATES]
    contests = [Contest("party", ContestKind.PARTY, "Party vote")] + [
        Contest(f"candidate:{n}", ContestKind.CANDIDATE, f"Seat {n}", n) for n in ELECTORATES
    ]
    choices = [Choice("party", p, p) for p in PARTIES] + [
        Choice(f"candidate:{n}", name, PARTY_OF[name])
        for n in ELECTORATES
        for name in CANDIDATES[n]
    ]
    return Dataset(
        Election(ELECTION, "Sequence test", "2026-01-01"),
        electorates,
        [Party(p) for p in PARTIES],
        units,
        contests,
        choices,
    )


@dataclass
class Count:
    """One store with the election defined and four users, and the app over it."""

    engine: Engine
    client: TestClient
    tokens: dict[str, str]

    def reset(self) -> None:
        """Empty the count and the audit log (users and definitions stay), so each
        sequence starts from an election with nothing counted."""
        with writing(self.engine) as conn:
            for table in (t.review, t.vote_count, t.vote_return, t.source, t.stage_status,
                          t.audit_log):  # fmt: skip
                conn.execute(delete(table))
            conn.execute(update(t.audit_head).values(last_id=0, hash=audit.GENESIS))


@pytest.fixture(scope="module")
def count(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Count]:
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('sequences') / 'count.db'}")
    define(engine, [_dataset()])
    tokens = {name: add_user(engine, name, role, number) for name, (role, number) in USERS.items()}
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        yield Count(engine, client, tokens)
    engine.dispose()


VOTES = st.lists(st.integers(0, 3_500), min_size=3, max_size=3)
SEEN: Counter[str] = Counter()
"""responses seen, by kind and status: the sequences must reach every case"""

Key = tuple[str, int, str, str]
"""contest, electorate, stage, count type"""


@dataclass
class Version:
    id: int
    counts: dict[str, int]
    informal: int
    state: str  # counted, held, rejected
    submitter: str


@dataclass
class Model:
    """The count as the rules say it must be, from the responses the model predicted."""

    versions: dict[Key, list[Version]] = field(default_factory=lambda: defaultdict(list))
    closed: set[str] = field(default_factory=set)
    seen: dict[str, int] = field(default_factory=dict)
    """a stored submission's canonical payload → its return id"""
    sent: list[tuple[Key, dict]] = field(default_factory=list)
    """every stored submission, in order"""
    audit_rows: int = 0

    def snapshot(self) -> tuple:
        """What the tally depends on, as the model holds it."""
        return tuple((k, v.id, v.state) for k, vs in sorted(self.versions.items()) for v in vs)

    def held(self) -> list[Version]:
        """The corrections under review."""
        return [v for vs in self.versions.values() for v in vs if v.state == "held"]

    def candidate_keys(self) -> list[Key]:
        """The candidate-vote keys with a counted version."""
        return [k for k in self.counted_keys() if k[0] != "party"]

    def counted_keys(self) -> list[Key]:
        """The keys with a counted version."""
        return [k for k in self.versions if self.latest(k) is not None]

    def latest(self, key: Key) -> Version | None:
        counted = [v for v in self.versions[key] if v.state == "counted"]
        return counted[-1] if counted else None

    def pending(self, key: Key) -> Version | None:
        return next((v for v in self.versions[key] if v.state == "held"), None)

    def figures(self, stage: str, extra: tuple[Key, Version] | None = None) -> dict:
        """(contest, electorate) → summed counts and informal of the counted latest versions
        at ``stage``, with ``extra`` standing in for its key's latest."""
        out: dict[tuple[str, int], tuple[dict[str, int], int]] = {}
        for key in list(self.versions):
            if key[2] != stage:
                continue
            version = extra[1] if extra and extra[0] == key else self.latest(key)
            if version is None:
                continue
            counts, informal = out.get(key[:2], ({}, 0))
            merged = dict(counts)
            for name, votes in version.counts.items():
                merged[name] = merged.get(name, 0) + votes
            out[key[:2]] = (merged, informal + version.informal)
        return out

    def outcome(self, stage: str, extra: tuple[Key, Version] | None = None) -> tuple:
        """Electorate winners and seats at ``stage``, from the model's own figures."""
        figures = self.figures(stage, extra)
        winners = {}
        for (contest, n), (counts, informal) in figures.items():
            if contest != "party" and any(counts.values()):
                winners[n] = decide_electorate(counts, informal).winner
        ballot: dict[str, int] = defaultdict(int)
        for (contest, _), (counts, _) in figures.items():
            if contest == "party":
                for party, votes in counts.items():
                    ballot[party] += votes
        won: dict[str, int] = defaultdict(int)
        other = 0  # won by a candidate whose party is not on the party ballot counted
        for winner in winners.values():
            if winner is not None and PARTY_OF[winner] in ballot:
                won[PARTY_OF[winner]] += 1
            elif winner is not None:
                other += 1
        seats: dict[str, int] = {}
        if any(ballot.values()):
            result = allocate_mmp(
                dict(ballot),
                won,
                named("nz"),
                other_electorates=other,
                vacant_electorates=len(ELECTORATES) - len(winners),
            )
            seats = {p.party: p.total for p in result.parties if p.total}
        return winners, seats

    def breaks_rules(self, key: Key, version: Version) -> bool:
        """Whether ``version`` counted as ``key``'s latest would count votes twice at its
        unit or exceed the electorate's electors."""
        contest, n, stage, count_type = key
        for other in list(self.versions):
            if other[:3] != key[:3] or other == key:
                continue
            if self.latest(other) is not None and _overlap(other[3], count_type):
                return True
        counts, informal = self.figures(stage, (key, version)).get((contest, n), ({}, 0))
        return sum(counts.values()) + informal > ELECTORS


def _overlap(a: str, b: str) -> bool:
    return a == b or CountType.ALL in (a, b)


class CountSequences(RuleBasedStateMachine):
    """The state machine; ``count`` is set by the test before it runs."""

    count: Count

    def __init__(self) -> None:
        super().__init__()
        self.count.reset()
        self.engine, self.client, self.tokens = (
            self.count.engine,
            self.count.client,
            self.count.tokens,
        )
        self.model = Model()
        self.checked: tuple | None = None
        self.kept = SummedRows()
        """summed votes kept across the sequence's steps, as a server keeps them"""

    def post(self, path: str, body: object, user: str | None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        response = self.client.post(f"{API}{path}", json=body, headers=headers)
        assert response.status_code < 500, response.text
        return response.status_code, response.json()

    # -- rules -------------------------------------------------------------------------

    @rule(
        user=st.sampled_from(sorted(USERS)),
        n=st.sampled_from(ELECTORATES),
        party=st.booleans(),
        stage=st.sampled_from(STAGES),
        count_type=st.sampled_from(COUNT_TYPES),
        votes=VOTES,
        informal=st.integers(0, 60),
    )
    def submit(self, user, n, party, stage, count_type, votes, informal) -> None:
        """A return for any key, stored or not, without ``supersedes``."""
        key: Key = ("party" if party else f"candidate:{n}", n, stage.value, count_type.value)
        self._send(user, key, votes, informal, None, "")

    @rule(
        user=st.sampled_from(sorted(USERS)),
        pick=st.integers(0, 20),
        votes=VOTES,
        informal=st.integers(0, 60),
        supersedes=st.sampled_from(["latest", "latest", "latest", "stale", "none"]),
        reason=st.sampled_from(["", "recounted", "recounted"]),
        swap=st.booleans(),
    )
    @precondition(lambda self: self.model.counted_keys())
    def correct(self, user, pick, votes, informal, supersedes, reason, swap) -> None:
        """New figures for a stored key: mostly a correction of its latest version; with
        ``swap``, the latest figures in reverse order (the leader and the last change
        places, which usually changes an outcome)."""
        keys = self.model.counted_keys()
        key = keys[pick % len(keys)]
        latest = self.model.latest(key)
        assert latest is not None
        if swap:
            votes = list(reversed(latest.counts.values()))
        named = {"latest": latest.id, "stale": latest.id + 1000, "none": None}[supersedes]
        self._send(user, key, votes, informal, named, reason)

    @rule(user=st.sampled_from(sorted(USERS)), pick=st.integers(0, 20))
    @precondition(lambda self: self.model.candidate_keys())
    def flip(self, user, pick) -> None:
        """A correction of a candidate return that puts its two candidates' votes the
        other way round: when that changes the winner, it must be held."""
        keys = self.model.candidate_keys()
        key = keys[pick % len(keys)]
        latest = self.model.latest(key)
        assert latest is not None
        votes = list(reversed(latest.counts.values()))
        self._send(user, key, votes, latest.informal, latest.id, "recounted")

    @rule(user=st.sampled_from(sorted(USERS)), pick=st.integers(0, 20))
    @precondition(lambda self: self.model.sent)
    def repeat(self, user, pick) -> None:
        """A stored submission sent again (a client's retry)."""
        key, body = self.model.sent[pick % len(self.model.sent)]
        self._send(user, key, list(body["counts"].values()), body["informal"],
                   body["supersedes"], body["reason"])  # fmt: skip

    def _send(self, user, key: Key, votes, informal, supersedes, reason) -> None:
        contest, n, stage, count_type = key
        names = PARTIES if contest == "party" else CANDIDATES[n]
        counts = dict(zip(names, votes, strict=False))
        body = {
            "contest": contest,
            "unit": f"electorate:{n}",
            "stage": stage,
            "count_type": count_type,
            "counts": counts,
            "informal": informal,
            "supersedes": supersedes,
            "reason": reason,
        }
        expected = self._expected_submission(user, key, body, self.model.latest(key))
        status, answer = self.post("/returns", body, user)
        self.model.audit_rows += 1
        SEEN[f"submission {status}"] += 1
        assert status in expected, (status, answer, expected)
        if status in (201, 202):
            version = Version(
                answer["return_id"], counts, informal, "held" if status == 202 else "counted", user
            )
            self.model.versions[key].append(version)
            self.model.seen[_canonical(body)] = version.id
            self.model.sent.append((key, body))

    def _expected_submission(self, user, key: Key, body: dict, latest: Version | None) -> set:
        role, own = USERS[user]
        _, n, stage, _ = key
        if role is Role.RETURNING_OFFICER and own != n:
            return {403}
        if _canonical(body) in self.model.seen:
            return {200}
        if stage in self.model.closed:
            return {409}
        counts = {c: v for c, v in body["counts"].items() if v}
        candidate = Version(0, body["counts"], body["informal"], "counted", user)
        if latest is None:
            if body["supersedes"] is not None:
                return {409}
        else:
            same = counts == {c: v for c, v in latest.counts.items() if v} and (
                body["informal"] == latest.informal
            )
            if same and body["supersedes"] is None:
                return {200}
            if self.model.pending(key) is not None:
                return {409}
            if body["supersedes"] != latest.id:
                return {409}
            if not body["reason"]:
                return {422}
        if self.model.breaks_rules(key, candidate):
            return {409}
        if latest is None:
            return {201}
        before = self.model.outcome(stage)
        after = self.model.outcome(stage, (key, candidate))
        return {201} if before == after else {202}

    @rule(user=st.sampled_from(sorted(USERS)), approve=st.booleans(), pick=st.integers(0, 9))
    @precondition(lambda self: self.model.held())
    def review_held(self, user, approve, pick) -> None:
        """A decision on a correction under review."""
        self.review(user, approve, pick % 7, "seen")

    @rule(approve=st.booleans(), pick=st.integers(0, 6))
    @precondition(lambda self: self.model.held())
    def second_admin_decides(self, approve, pick) -> None:
        """The usual end of a hold: an admin other than the one who submitted it decides."""
        held = self.model.held()
        submitter = held[pick % len(held)].submitter
        admin = next(u for u, (role, _) in USERS.items() if role is Role.ADMIN and u != submitter)
        self.review(admin, approve, pick, "seen")

    @rule(
        user=st.sampled_from(sorted(USERS)),
        approve=st.booleans(),
        pick=st.integers(0, 9),
        reason=st.sampled_from(["", "seen"]),
    )
    @precondition(lambda self: self.model.versions)
    def review(self, user, approve, pick, reason) -> None:
        """A decision on a held correction, mostly; now and then on a return that is not
        held, or on no return at all."""
        held = [(k, v) for k, vs in self.model.versions.items() for v in vs if v.state == "held"]
        other = [(k, v) for k, vs in self.model.versions.items() for v in vs if v.state != "held"]
        if held and pick < 7:
            key, version = held[pick % len(held)]
            return_id = version.id
        elif other and pick < 9:
            key, version = other[pick % len(other)]
            return_id = version.id
        else:
            key, version, return_id = None, None, 10_000 + pick
        decision = "approve" if approve else "reject"
        status, answer = self.post(f"/corrections/{return_id}/{decision}", {"reason": reason}, user)
        self.model.audit_rows += 1
        role, _ = USERS[user]
        if version is None:
            expected = {404}
        elif version.state != "held":
            expected = {409}
        elif role is not Role.ADMIN or user == version.submitter:
            expected = {403}
        elif approve and self.model.breaks_rules(key, version):
            expected = {409}
        else:
            expected = {200}
        SEEN[f"review {status}"] += 1
        assert status in expected, (status, answer, expected)
        if status == 200:
            version.state = "counted" if approve else "rejected"

    @rule(user=st.sampled_from(sorted(USERS)), stage=st.sampled_from(STAGES), close=st.booleans())
    def stage(self, user, stage, close) -> None:
        status, _ = self.post(
            f"/stages/{stage.value}", {"status": "closed" if close else "open"}, user
        )
        self.model.audit_rows += 1
        if USERS[user][0] is not Role.ADMIN:
            assert status == 403
            return
        assert status == 200
        (self.model.closed.add if close else self.model.closed.discard)(stage.value)

    @rule(
        path=st.sampled_from(["/returns", "/stages/official", "/corrections/1/approve", "/x"]),
        token=st.sampled_from([None, "forged"]),
        body=st.one_of(st.binary(max_size=200), st.just(b'{"contest": NaN}')),
    )
    def anonymous(self, path, token, body) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.post(f"{API}{path}", content=body, headers=headers)
        assert response.status_code == (404 if path == "/x" else 401), response.text

    @rule(user=st.sampled_from(sorted(USERS)), body=st.sampled_from([b"{", b"[]", b'{"a": 1}']))
    def malformed(self, user, body) -> None:
        response = self.client.post(
            f"{API}/returns", content=body, headers={"Authorization": f"Bearer {self.tokens[user]}"}
        )
        self.model.audit_rows += 1
        assert response.status_code == 422, response.text

    # -- invariants --------------------------------------------------------------------

    @invariant()
    def tally_is_the_sum_of_the_latest_counted_versions(self) -> None:
        """Checked whenever the store or the model changed: the tally is a function of
        the stored rows, which only change with the store generation."""
        state = (store_generation(self.engine), self.model.snapshot())
        if state == self.checked:
            return
        self.checked = state
        for stage in STAGES:
            if not any(key[2] == stage.value for key in self.model.versions):
                continue  # nothing was ever stored at this stage
            expected = {
                key: ({c: v for c, v in counts.items() if v}, informal)
                for key, (counts, informal) in self.model.figures(stage.value).items()
            }
            for kept in (None, self.kept):  # summed afresh, and only what changed
                try:
                    counted = tally(self.engine, ELECTION, stage, kept)
                except NoReturnsError:
                    assert not expected
                    continue
                found = {}
                for n, contest in counted.party_by_electorate.items():
                    found["party", n] = contest
                for n, contest in counted.candidates.items():
                    found[f"candidate:{n}", n] = contest
                assert {
                    key: ({c: v for c, v in contest.counts.items() if v}, contest.informal)
                    for key, contest in found.items()
                } == expected

    @invariant()
    def every_authenticated_request_has_its_audit_row_and_the_log_verifies(self) -> None:
        with self.engine.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(t.audit_log)).scalar_one()
        assert rows == self.model.audit_rows
        result = audit.verify(self.engine)
        assert result.intact, result.problems


def _canonical(body: dict) -> str:
    data = {**body, "counts": dict(sorted(body["counts"].items())), "total": None}
    return json.dumps(data, sort_keys=True)


def test_request_sequences_keep_the_count_and_the_log_true(count: Count) -> None:
    CountSequences.count = count
    run = CountSequences.TestCase
    run.settings = hypothesis.settings(
        max_examples=SEQUENCES,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    SEEN.clear()
    run().runTest()
    reached = {"submission 201", "submission 202", "submission 200", "submission 409",
               "submission 403", "review 200", "review 403", "review 409"}  # fmt: skip
    assert reached <= set(SEEN), SEEN
    print(dict(SEEN))
