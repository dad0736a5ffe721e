"""Regions between the nation and the electorates (German Länder): each with its number
and, where the law gives regions seat contingents, its population.

Revision ID: 0012
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("election_id", sa.String(64), sa.ForeignKey("election.id"), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("population", sa.Integer),
    )
