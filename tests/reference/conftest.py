"""Fixtures for the reference-data tests: the shared, cached ``ReferenceData``."""

from __future__ import annotations

import pytest

from broker.reference import ReferenceData, get_reference


@pytest.fixture(scope="session")
def ref() -> ReferenceData:
    """The reference data loaded from the repository's data/reference."""
    return get_reference()
