"""Portfolio plans and their lines (a proposed assignment of offers and windows to requests).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:38:19.362592
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portfolio_plans",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("funding", sa.String(length=10), nullable=False),
        sa.Column("offers_per_request", sa.Integer(), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("solver_status", sa.String(length=12), nullable=False),
        sa.Column("objective", sa.Float(), nullable=True),
        sa.Column("bound", sa.Float(), nullable=True),
        sa.Column("greedy_objective", sa.Float(), nullable=False),
        sa.Column("greedy_meets_floors", sa.Boolean(), nullable=False),
        sa.Column("solve_ms", sa.Float(), nullable=False),
        sa.Column("n_requests", sa.Integer(), nullable=False),
        sa.Column("n_candidates", sa.Integer(), nullable=False),
        sa.Column("n_served", sa.Integer(), nullable=False),
        sa.Column(
            "shortfalls",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "unlock",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("created_by_key_id", sa.Integer(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "funding IN ('none', 'optional', 'required')", name=op.f("ck_portfolio_plans_funding_valid")
        ),
        sa.CheckConstraint(
            "solver_status IN ('optimal', 'time_limit', 'infeasible')",
            name=op.f("ck_portfolio_plans_solver_status_valid"),
        ),
        sa.CheckConstraint(
            "offers_per_request >= 1", name=op.f("ck_portfolio_plans_offers_per_request_positive")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_key_id"],
            ["api_keys.id"],
            name=op.f("fk_portfolio_plans_created_by_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_portfolio_plans_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_plans")),
    )
    op.create_table(
        "portfolio_plan_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("funding_window_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("pair_score", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("needed_usd", sa.Float(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column(
            "reasons_detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "displaced",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("match_id", sa.Integer(), nullable=True),
        sa.Column("shortlisted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["funding_window_id"],
            ["funding_windows.id"],
            name=op.f("fk_portfolio_plan_lines_funding_window_id_funding_windows"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_portfolio_plan_lines_match_id_matches"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offers.id"],
            name=op.f("fk_portfolio_plan_lines_offer_id_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["portfolio_plans.id"],
            name=op.f("fk_portfolio_plan_lines_plan_id_portfolio_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_portfolio_plan_lines_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_plan_lines")),
    )
    with op.batch_alter_table("portfolio_plan_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_plan_lines_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_portfolio_plan_lines_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portfolio_plan_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_plan_lines_request_id"))
        batch_op.drop_index(batch_op.f("ix_portfolio_plan_lines_plan_id"))

    op.drop_table("portfolio_plan_lines")
    op.drop_table("portfolio_plans")
