"""Party lists: each party's list candidates in rank order, for naming list MPs.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "list_candidate",
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), primary_key=True),
        sa.Column("party", sa.String(200), primary_key=True),
        sa.Column("rank", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("electorate", sa.String(200), nullable=False, server_default=""),
    )
