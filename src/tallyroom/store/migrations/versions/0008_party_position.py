"""Parties get a position, left to right, where the House seats them (for seat charts).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    with op.batch_alter_table("party") as table:
        table.add_column(sa.Column("position", sa.Float))
