"""The store's tables (SQLAlchemy Core). Changes go through a migration in ``migrations/``.

Returns are append-only: a correction is a new row with a higher ``version`` that names
the row it ``supersedes`` and why; nothing is updated or deleted. ``source`` records
every imported file by content hash, so importing the same file again changes nothing.
"""

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

election = Table(
    "election",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("date", String(10), nullable=False, default=""),
    Column("rules", String(64), nullable=False, default="nz"),
)

electorate = Table(
    "electorate",
    metadata,
    Column("election_id", String(64), ForeignKey("election.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("roll", String(16), nullable=False),
    Column("code", String(8), nullable=False, server_default=""),
    Column("region", String(64), nullable=False, server_default=""),
    Column("hex_u", Integer),
    Column("hex_v", Integer),
    Column("electors", Integer),
    Column("votes_cast", Integer),
)

region = Table(
    "region",
    metadata,
    Column("election_id", String(64), ForeignKey("election.id"), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("number", Integer, nullable=False),
    Column("population", Integer),
)
"""Regions between the nation and the electorates where the law apportions by them
(German Länder); an electorate's ``region`` names its region. ``population`` is the
figure seat contingents are computed from, where the law has them."""

party = Table(
    "party",
    metadata,
    Column("election_id", String(64), ForeignKey("election.id"), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("short_name", String(64), nullable=False, default=""),
    Column("colour", String(16), nullable=False, default=""),
    Column("position", Float),
)


def _coded_table(name: str, code_length: int) -> Table:
    """A table of things an election names by a code: reporting units and contests."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("election_id", String(64), ForeignKey("election.id"), nullable=False),
        Column("code", String(code_length), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("name", String(300), nullable=False),
        Column("electorate", Integer),
        UniqueConstraint("election_id", "code"),
    )


unit = _coded_table("unit", 300)
contest = _coded_table("contest", 100)

choice = Table(
    "choice",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contest_id", Integer, ForeignKey("contest.id"), nullable=False),
    Column("name", String(300), nullable=False),
    Column("party", String(200), nullable=False, default=""),
    UniqueConstraint("contest_id", "name"),
)

source = Table(
    "source",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("election_id", String(64), ForeignKey("election.id"), nullable=False),
    Column("format", String(64), nullable=False),
    Column("name", String(500), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("reason", String(1000), nullable=False, default=""),
    UniqueConstraint("election_id", "content_hash"),
)

vote_return = Table(
    "vote_return",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contest_id", Integer, ForeignKey("contest.id"), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("count_type", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("supersedes", Integer, ForeignKey("vote_return.id")),
    Column("source_id", Integer, ForeignKey("source.id"), nullable=False),
    Column("informal", Integer, nullable=False),
    Column("reason", String(1000), nullable=False, default=""),
    Column("held", Integer, nullable=False, server_default="0"),
    Column("submitted_by", String(100), nullable=False, server_default=""),
    UniqueConstraint("contest_id", "unit_id", "stage", "count_type", "version"),
)
"""A return version. One that is ``held`` (a correction that would change an outcome)
counts only once a ``review`` approves it."""

vote_count = Table(
    "vote_count",
    metadata,
    Column("return_id", Integer, primary_key=True),
    Column("choice_id", Integer, ForeignKey("choice.id"), primary_key=True),
    Column("votes", Integer, nullable=False),
    ForeignKeyConstraint(["return_id"], ["vote_return.id"]),
    sqlite_with_rowid=False,  # one clustered B-tree: the biggest table, written in bulk
)

review = Table(
    "review",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("return_id", Integer, ForeignKey("vote_return.id"), nullable=False, unique=True),
    Column("decision", String(16), nullable=False),
    Column("reviewer", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", String(1000), nullable=False, server_default=""),
)
"""A second admin's decision on a held return: ``approved`` (it counts) or ``rejected``."""

Index("vote_return_stage", vote_return.c.stage, vote_return.c.contest_id)

list_candidate = Table(
    "list_candidate",
    metadata,
    Column("election_id", String(64), ForeignKey("election.id"), primary_key=True),
    Column("party", String(200), primary_key=True),
    Column("rank", Integer, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("electorate", String(200), nullable=False, server_default=""),
)
"""Each party's list in rank order (as published; a list may be stored incomplete).
``electorate`` is the electorate the candidate also stood in, if any."""

split_vote = Table(
    "split_vote",
    metadata,
    Column("election_id", String(64), ForeignKey("election.id"), primary_key=True),
    Column("scope", String(64), primary_key=True),
    Column("party", String(200), primary_key=True),
    Column("choice", String(300), primary_key=True),
    Column("party_votes", Integer, nullable=False),
    Column("hundredths", Integer, nullable=False),
    Column("votes", Integer),
)
"""The split-vote tables as published (see :class:`tallyroom.model.SplitVote`): not
versioned, like the lists; a published table is final."""

# --- election-night operations: who may write, which stages take returns, the audit log

app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    Column("electorate", Integer),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)
"""People and systems that may write; only a SHA-256 of each token is kept. A token
stops working when it expires or its user is revoked."""

stage_status = Table(
    "stage_status",
    metadata,
    Column("election_id", String(64), ForeignKey("election.id"), primary_key=True),
    Column("stage", String(16), primary_key=True),
    Column("status", String(16), nullable=False),
)
"""A stage with no row here is open for returns."""

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status", Integer, nullable=False),
    Column("election_id", String(64)),
    Column("electorate", Integer),
    Column("detail", Text, nullable=False),
    Column("previous", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
"""Every write accepted or refused. Each row's hash covers its fields and the previous
row's hash, so an edited or deleted row breaks the chain."""

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
"""One row: the id and hash of the newest audit row. Writers lock it, which puts audit
rows (and the writes they record) in one order."""

store_key = Table(
    "store_key",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("private_pem", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
"""One row: the Ed25519 key that signs the published audit head, made on first use."""
