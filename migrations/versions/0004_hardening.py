"""Hardening: a review note written for the institutions of a pair; accent- and case-insensitive
search columns (filled in from the existing rows); the audit log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:30:00.000000
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# table -> the text columns its search_text folds (as broker.models.search.Searchable does)
SEARCHABLE = {
    "institutions": ("name", "description"),
    "offers": ("title", "description"),
    "requests": ("title", "description"),
}


def _fold(text: str) -> str:
    # A copy of broker.models.search.fold, so this migration means the same whatever the code becomes.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def upgrade() -> None:
    with op.batch_alter_table("match_reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_for_institutions", sa.Text(), nullable=True))
    conn = op.get_bind()
    for table, fields in SEARCHABLE.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column("search_text", sa.Text),
                        *(sa.column(name, sa.Text) for name in fields))  # fmt: skip
        for row in conn.execute(sa.select(rows.c.id, *(rows.c[name] for name in fields))).all():
            text = _fold("\n".join(part for part in row[1:] if part))
            conn.execute(sa.update(rows).where(rows.c.id == row[0]).values(search_text=text))

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("actor_key_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["actor_key_id"],
            ["api_keys.id"],
            name=op.f("fk_audit_events_actor_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_event"), ["event"], unique=False)


def downgrade() -> None:
    op.drop_table("audit_events")
    for table in SEARCHABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("search_text")
    with op.batch_alter_table("match_reviews", schema=None) as batch_op:
        batch_op.drop_column("note_for_institutions")
