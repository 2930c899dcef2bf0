"""The ORM and the Alembic migrations describe the same schema, on every backend."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.orm import Session

from broker import migrate
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


def test_migration_0004_fills_the_search_column_of_existing_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0002")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO institutions (name, country, kind, languages, created_at, updated_at, version) "
                "VALUES ('SÃO TOMÉ Ministry', 'STP', 'government', '[]', '2026-01-01', '2026-01-01', 1)"
            )
        )
    migrate.upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT search_text FROM institutions")).scalar() == "sao tome ministry"
    engine.dispose()
