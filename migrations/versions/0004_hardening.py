"""Hardening: a review note written for the institutions of a pair.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("match_reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_for_institutions", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match_reviews", schema=None) as batch_op:
        batch_op.drop_column("note_for_institutions")
