"""Every route the app serves is in the access matrix, so a new endpoint cannot skip its access rules."""

from __future__ import annotations

import re

from broker.config import Settings
from broker.main import create_app
from tests.api.test_access_matrix import CASES, ROLES

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def served_routes() -> dict[tuple[str, str], re.Pattern[str]]:
    """(method, path template) of every operation in the OpenAPI schema, with a regex for its paths."""
    schema = create_app(Settings(database_url="sqlite://", encoder="hashing")).openapi()
    return {
        (method.upper(), path): re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for path, item in schema["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def _covers(route: tuple[str, str], pattern: re.Pattern[str], method: str, path: str) -> bool:
    # A matrix path is a template ("/offers/{draft_a}") or literal ("/scoring-profiles/default").
    return route[0] == method and pattern.match(path.split("?")[0]) is not None


def test_every_served_route_is_in_the_access_matrix() -> None:
    routes = served_routes()
    missing = sorted(
        route
        for route, pattern in routes.items()
        if not any(_covers(route, pattern, method, path) for method, path, _, _ in CASES)
    )
    assert not missing, f"routes with no row in tests/api/test_access_matrix.py CASES: {missing}"


def test_every_matrix_row_names_a_served_route_and_every_role() -> None:
    routes = served_routes()
    stale = sorted(
        (method, path)
        for method, path, _, _ in CASES
        if not any(_covers(route, pattern, method, path) for route, pattern in routes.items())
    )
    assert not stale, f"CASES rows for routes the app does not serve: {stale}"
    assert all(len(codes) == len(ROLES) for _, _, _, codes in CASES)
