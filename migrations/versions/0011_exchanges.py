"""Exchanges, their status history and each side's results report.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "exchanges",
        sa.Column("match_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("requester_institution_id", sa.Integer(), nullable=False),
        sa.Column("provider_institution_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "modalities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("budget_amount", sa.Float(), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        sa.Column("budget_source", sa.String(length=200), nullable=True),
        sa.Column("requester_contact", sa.String(length=300), nullable=True),
        sa.Column("provider_contact", sa.String(length=300), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'under_way', 'completed', 'cancelled')",
            name=op.f("ck_exchanges_status_valid"),
        ),
        sa.CheckConstraint(
            "budget_amount IS NULL OR budget_amount >= 0", name=op.f("ck_exchanges_budget_nonnegative")
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_exchanges_dates_ordered"),
        ),
        sa.CheckConstraint(
            "participants IS NULL OR participants >= 0", name=op.f("ck_exchanges_participants_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_exchanges_match_id_matches"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_exchanges_offer_id_offers"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["provider_institution_id"],
            ["institutions.id"],
            name=op.f("fk_exchanges_provider_institution_id_institutions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_exchanges_request_id_requests"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["requester_institution_id"],
            ["institutions.id"],
            name=op.f("fk_exchanges_requester_institution_id_institutions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchanges")),
        sa.UniqueConstraint("match_id", name="uq_exchanges_match_id"),
    )
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchanges_offer_id"), ["offer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_exchanges_provider_institution_id"), ["provider_institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_exchanges_request_id"), ["request_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_exchanges_requester_institution_id"), ["requester_institution_id"], unique=False
        )

    op.create_table(
        "exchange_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_key_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_institution_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_institution_id"],
            ["institutions.id"],
            name=op.f("fk_exchange_changes_actor_institution_id_institutions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_key_id"],
            ["api_keys.id"],
            name=op.f("fk_exchange_changes_actor_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_exchange_changes_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["exchange_id"],
            ["exchanges.id"],
            name=op.f("fk_exchange_changes_exchange_id_exchanges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_changes")),
    )
    with op.batch_alter_table("exchange_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_changes_exchange_id"), ["exchange_id"], unique=False)

    op.create_table(
        "exchange_reports",
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcomes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("relevance", sa.Integer(), nullable=False),
        sa.Column("usefulness", sa.Integer(), nullable=False),
        sa.Column("adopted", sa.Text(), nullable=True),
        sa.Column("adopted_language", sa.String(length=8), nullable=True),
        sa.Column(
            "evidence_links",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_key_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("side IN ('requester', 'provider')", name=op.f("ck_exchange_reports_side_valid")),
        sa.CheckConstraint("relevance BETWEEN 1 AND 5", name=op.f("ck_exchange_reports_relevance_range")),
        sa.CheckConstraint("usefulness BETWEEN 1 AND 5", name=op.f("ck_exchange_reports_usefulness_range")),
        sa.ForeignKeyConstraint(
            ["actor_key_id"],
            ["api_keys.id"],
            name=op.f("fk_exchange_reports_actor_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_exchange_reports_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["exchange_id"],
            ["exchanges.id"],
            name=op.f("fk_exchange_reports_exchange_id_exchanges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_exchange_reports_institution_id_institutions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_reports")),
        sa.UniqueConstraint("exchange_id", "side", name="uq_exchange_reports_exchange_side"),
    )
    with op.batch_alter_table("exchange_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_reports_exchange_id"), ["exchange_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_exchange_reports_institution_id"), ["institution_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("exchange_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_reports_institution_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_reports_exchange_id"))

    op.drop_table("exchange_reports")
    with op.batch_alter_table("exchange_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_changes_exchange_id"))

    op.drop_table("exchange_changes")
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchanges_requester_institution_id"))
        batch_op.drop_index(batch_op.f("ix_exchanges_request_id"))
        batch_op.drop_index(batch_op.f("ix_exchanges_provider_institution_id"))
        batch_op.drop_index(batch_op.f("ix_exchanges_offer_id"))

    op.drop_table("exchanges")
