"""Funding windows, and the window that finances an exchange.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:25:08.611091
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "funding_windows",
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("mandate", sa.Text(), nullable=False),
        sa.Column("text_language", sa.String(length=8), nullable=True),
        sa.Column("text_language_detected", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "sectors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "receiving_countries",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "receiving_regions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "receiving_income_levels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "providing_countries",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "providing_regions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "providing_income_levels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "modalities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("max_per_exchange_usd", sa.Float(), nullable=False),
        sa.Column("envelope_usd", sa.Float(), nullable=False),
        sa.Column("cofinancing_share", sa.Float(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'closed')", name=op.f("ck_funding_windows_status_valid")
        ),
        sa.CheckConstraint("closes_on >= opens_on", name=op.f("ck_funding_windows_dates_ordered")),
        sa.CheckConstraint(
            "cofinancing_share >= 0 AND cofinancing_share < 1",
            name=op.f("ck_funding_windows_cofinancing_share_range"),
        ),
        sa.CheckConstraint(
            "envelope_usd >= max_per_exchange_usd",
            name=op.f("ck_funding_windows_envelope_covers_one_exchange"),
        ),
        sa.CheckConstraint(
            "max_per_exchange_usd > 0", name=op.f("ck_funding_windows_max_per_exchange_positive")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_funding_windows_institution_id_institutions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_windows")),
        sa.UniqueConstraint("external_id", name=op.f("uq_funding_windows_external_id")),
    )
    with op.batch_alter_table("funding_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_funding_windows_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_funding_windows_status"), ["status"], unique=False)

    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("funding_window_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_exchanges_funding_window_id"), ["funding_window_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_exchanges_funding_window_id_funding_windows"),
            "funding_windows",
            ["funding_window_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_exchanges_funding_window_id_funding_windows"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_exchanges_funding_window_id"))
        batch_op.drop_column("funding_window_id")

    with op.batch_alter_table("funding_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_windows_status"))
        batch_op.drop_index(batch_op.f("ix_funding_windows_institution_id"))

    op.drop_table("funding_windows")
