"""Text language, suggested codes and the fit of a match (demand in any language, without codes).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    for table in ("offers", "requests"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("text_language", sa.String(length=8), nullable=True))
            batch_op.add_column(
                sa.Column("text_language_detected", sa.Boolean(), server_default=sa.false(), nullable=False)
            )
            batch_op.add_column(sa.Column("suggested", JSON, server_default="{}", nullable=False))
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fit", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_column("fit")
    for table in ("offers", "requests"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("suggested")
            batch_op.drop_column("text_language_detected")
            batch_op.drop_column("text_language")
