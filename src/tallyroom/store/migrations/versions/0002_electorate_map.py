"""Electorates get a short code, a region and a hexagon-map position.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("electorate") as table:
        table.add_column(sa.Column("code", sa.String(8), nullable=False, server_default=""))
        table.add_column(sa.Column("region", sa.String(64), nullable=False, server_default=""))
        table.add_column(sa.Column("hex_u", sa.Integer))
        table.add_column(sa.Column("hex_v", sa.Integer))
