"""Workspace: per-request assignment to a broker-team member, with a status and a due date.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_assignments",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("assignee_key_id", sa.Integer(), nullable=True),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("assignee_name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'in_review', 'proposed', 'closed')",
            name=op.f("ck_request_assignments_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_key_id"],
            ["api_keys.id"],
            name=op.f("fk_request_assignments_assignee_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_request_assignments_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_assignments")),
    )
    with op.batch_alter_table("request_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_assignments_assignee_key_id"), ["assignee_key_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_request_assignments_assignee_user_id"), ["assignee_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_request_assignments_request_id"), ["request_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("request_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_assignments_request_id"))
        batch_op.drop_index(batch_op.f("ix_request_assignments_assignee_user_id"))
        batch_op.drop_index(batch_op.f("ix_request_assignments_assignee_key_id"))
    op.drop_table("request_assignments")
