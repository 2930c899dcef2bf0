"""The ORM and the Alembic migrations describe the same schema, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from broker.models import Base, ScoringProfile


def test_orm_and_migrations_do_not_drift(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrations_create_every_table(engine: Engine) -> None:
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_default_scoring_profile_is_shipped(session: Session) -> None:
    profile = session.scalar(select(ScoringProfile).where(ScoringProfile.is_default.is_(True)))
    assert profile is not None and profile.name == "default"
    assert abs(sum(profile.weights.values()) - 1.0) < 1e-9
