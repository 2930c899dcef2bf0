"""Incremental index synchronisation: institutions get a change counter, deletions a tombstone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_seq", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_institutions_change_seq"), ["change_seq"], unique=False)
    op.create_table(
        "catalog_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_deletions")),
    )
    with op.batch_alter_table("catalog_deletions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_deletions_generation"), ["generation"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("catalog_deletions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_deletions_generation"))
    op.drop_table("catalog_deletions")
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institutions_change_seq"))
        batch_op.drop_column("change_seq")
