"""Institutions' signals on proposed matches (interested / not relevant), kept as history.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("signal", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor_key_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "signal IN ('interested', 'not_relevant')", name=op.f("ck_match_signals_signal_valid")
        ),
        sa.CheckConstraint("side IN ('requester', 'offerer')", name=op.f("ck_match_signals_side_valid")),
        sa.ForeignKeyConstraint(
            ["actor_key_id"],
            ["api_keys.id"],
            name=op.f("fk_match_signals_actor_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_match_signals_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_match_signals_match_id_matches"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_signals")),
    )
    with op.batch_alter_table("match_signals", schema=None) as batch_op:
        batch_op.create_index("ix_match_signals_match_institution", ["match_id", "institution_id"])
        batch_op.create_index(batch_op.f("ix_match_signals_institution_id"), ["institution_id"])


def downgrade() -> None:
    with op.batch_alter_table("match_signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_signals_institution_id"))
        batch_op.drop_index("ix_match_signals_match_institution")
    op.drop_table("match_signals")
