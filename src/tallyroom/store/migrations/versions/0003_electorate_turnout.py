"""Electorates get their enrolment and the votes cast in them (for turnout).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("electorate") as table:
        table.add_column(sa.Column("electors", sa.Integer))
        table.add_column(sa.Column("votes_cast", sa.Integer))
