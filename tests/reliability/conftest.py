"""Fresh, empty databases for the tests that run a real server: a SQLite file or a PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a database nobody has touched yet (the test migrates it through the CLI)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'served.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests skipped: BROKER_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with postgres_database(POSTGRES_URL) as url:
        yield url
