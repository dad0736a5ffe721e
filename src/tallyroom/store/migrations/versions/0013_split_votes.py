"""Split votes: the Electoral Commission's tables of party vote × electorate vote.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_table(
        "split_vote",
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), primary_key=True),
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("party", sa.String(200), primary_key=True),
        sa.Column("choice", sa.String(300), primary_key=True),
        sa.Column("party_votes", sa.Integer, nullable=False),
        sa.Column("hundredths", sa.Integer, nullable=False),
        sa.Column("votes", sa.Integer),
    )


def downgrade() -> None:
    op.drop_table("split_vote")
