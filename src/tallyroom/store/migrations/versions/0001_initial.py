"""The first schema: elections, reporting units, contests, choices, append-only returns.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "election",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("rules", sa.String(64), nullable=False),
    )
    op.create_table(
        "electorate",
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("roll", sa.String(16), nullable=False),
    )
    op.create_table(
        "party",
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("short_name", sa.String(64), nullable=False),
        sa.Column("colour", sa.String(16), nullable=False),
    )
    for name, code_length in (("unit", 300), ("contest", 100)):
        op.create_table(
            name,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
            sa.Column("code", sa.String(code_length), nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("name", sa.String(300), nullable=False),
            sa.Column("electorate", sa.Integer),
            sa.UniqueConstraint("election_id", "code"),
        )
    op.create_table(
        "choice",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contest_id", sa.Integer, sa.ForeignKey("contest.id"), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("party", sa.String(200), nullable=False),
        sa.UniqueConstraint("contest_id", "name"),
    )
    op.create_table(
        "source",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), nullable=False),
        sa.Column("format", sa.String(64), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.UniqueConstraint("election_id", "content_hash"),
    )
    op.create_table(
        "vote_return",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contest_id", sa.Integer, sa.ForeignKey("contest.id"), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("unit.id"), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("count_type", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("supersedes", sa.Integer, sa.ForeignKey("vote_return.id")),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("source.id"), nullable=False),
        sa.Column("informal", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.UniqueConstraint("contest_id", "unit_id", "stage", "count_type", "version"),
    )
    op.create_index("vote_return_stage", "vote_return", ["stage", "contest_id"])
    op.create_table(
        "vote_count",
        sa.Column("return_id", sa.Integer, sa.ForeignKey("vote_return.id"), primary_key=True),
        sa.Column("choice_id", sa.Integer, sa.ForeignKey("choice.id"), primary_key=True),
        sa.Column("votes", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
