"""Corrections under review, and the store's signing key.

A correction that would change an outcome is stored held (``vote_return.held``) and counts
only once a second admin approves it (a ``review`` row). ``store_key`` holds the Ed25519
key that signs the published audit head.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    with op.batch_alter_table("vote_return") as table:
        table.add_column(sa.Column("held", sa.Integer, nullable=False, server_default="0"))
        table.add_column(
            sa.Column("submitted_by", sa.String(100), nullable=False, server_default="")
        )
    op.create_table(
        "review",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "return_id", sa.Integer, sa.ForeignKey("vote_return.id"), nullable=False, unique=True
        ),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False, server_default=""),
    )
    op.create_table(
        "store_key",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("private_pem", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
