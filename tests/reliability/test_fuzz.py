"""Schemathesis against the app's own OpenAPI schema: no 5xx, and every answer as documented.

Every operation is fuzzed with valid (positive) and invalid (negative) inputs, with a fixed seed,
as an admin and again as an institution. Path ids point at seeded rows half of the time, and valid
bodies get real reference codes half of the time, so requests get past validation into the
services. Checks: no server error, status code documented, content type and body as documented,
documented headers, and invalid input rejected with a 4xx. Each pass prints its request count;
FUZZ_VERBOSE=1 adds the statuses per operation.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from broker import migrate
from broker.config import Settings
from broker.db import make_engine
from broker.main import create_app
from tests.conftest import POSTGRES_URL, postgres_database
from tests.reliability.world import World, seed_world

FUZZ_SEED = 20_250_611
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# Valid values for fields the schema cannot enumerate (they are checked against reference lists).
VALID_CODES: dict[str, Any] = {
    "sectors": ["11220", "31120"],
    "sdgs": [2, 4],
    "languages": ["pt"],
    "modalities": ["study_tour"],
    "desired_outcomes": ["raised_awareness"],
    "country": "BRA",
    "receiving_countries": ["MOZ"],
    "providing_countries": ["BRA"],
    "receiving_regions": ["002"],
    "providing_regions": ["019"],
    "receiving_income_levels": ["Low"],
    "providing_income_levels": ["Upper middle"],
}
# Writes last, deletions at the very end, so that reads and edits meet the seeded rows.
METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 2, "DELETE": 3}


@dataclass
class FuzzRun:
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    per_operation: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    by_status: dict[tuple[str, int], int] = field(default_factory=dict)


@contextmanager
def migrated_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fuzz.db'}"
        migrate.upgrade(url)
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL fuzzing skipped: BROKER_TEST_POSTGRES_URL is not set")
    with postgres_database(POSTGRES_URL) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def fuzzed_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, World]]:
    with migrated_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        try:
            world = seed_world(engine)
        finally:
            engine.dispose()
        # Negative cases drop the key on purpose; the 401s they earn must not end in 429 for the rest.
        app = create_app(
            Settings(
                database_url=url,
                encoder="hashing",
                auth_failure_limit=1_000_000,
                expensive_calls_per_minute=1_000_000,
            )
        )
        try:
            yield app, world
        finally:
            shutdown_lifespans()  # schemathesis keeps the app's lifespan running until told


def real_id_pool(path: str, param: str, world: World) -> list[Any]:
    """Seeded ids that fit a path parameter, judged by its name and the path it is in."""
    if param == "institution_id":
        return world.ids["institution"]
    if param == "match_id":
        return world.ids["match"]
    if param == "request_id":
        return world.ids["request"]
    if param == "offer_id":
        return world.ids["offer"]
    if param == "window_id":
        return world.ids["window"]
    if param == "key_id":
        return world.ids["key"]
    if param == "item_id":
        return world.ids["offer" if path.startswith("/api/v1/offers") else "request"]
    if param == "name":
        return ["default", "fuzzed"]
    return []


def steer(case: Any, world: World, pick: int, use_real: bool) -> Any:
    """Point a valid case at real rows and real codes (it stays valid: these values fit the schema)."""
    if not use_real:
        return case
    for name in list(case.path_parameters or {}):
        pool = real_id_pool(case.operation.path, name, world)
        if pool:
            case.path_parameters[name] = pool[pick % len(pool)]
    if isinstance(case.body, dict):
        for name, value in VALID_CODES.items():
            if name in case.body:
                case.body[name] = value
        if "institution_id" in case.body and case.body["institution_id"] is not None:
            case.body["institution_id"] = world.ids["institution"][pick % 2]
    return case


def fuzz_operation(
    operation: Any, mode: GenerationMode, *, examples: int, world: World, run: FuzzRun
) -> None:
    label = f"{operation.label} [{mode.value}]"
    base = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE:
        strategy = st.builds(lambda c, p, r: steer(c, world, p, r), base, st.integers(0, 5), st.booleans())
    else:
        strategy = base

    @seed(FUZZ_SEED)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call()
        run.requests += 1
        run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
        run.per_operation[operation.label] = run.per_operation.get(operation.label, 0) + 1
        key = (operation.label, response.status_code)
        run.by_status[key] = run.by_status.get(key, 0) + 1
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        pass  # nothing to make invalid: the operation takes no input (GET /health)
    except Exception as exc:  # collect every operation's failure, then fail once with all of them
        run.failures.append(f"--- {label}\n{exc}")


@pytest.mark.slow
@pytest.mark.parametrize(
    # examples: per operation and generation mode; minimum: the fewest requests the pass must make
    ("fuzzed_app", "role", "examples", "minimum"),
    [
        pytest.param("sqlite", "admin", 50, 3_000, id="sqlite-admin"),
        pytest.param("sqlite", "institution", 15, 900, id="sqlite-institution"),
        # PostgreSQL refuses some text SQLite stores (NUL), so it gets a pass of its own.
        pytest.param("postgresql", "admin", 25, 1_500, id="postgresql-admin", marks=pytest.mark.postgres),
    ],
    indirect=["fuzzed_app"],
)
def test_fuzzed_api_answers_only_documented_4xx_and_2xx(
    fuzzed_app: tuple[Any, World], role: str, examples: int, minimum: int, capsys: pytest.CaptureFixture[str]
) -> None:
    app, world = fuzzed_app
    # Declared as the schema's own bearer auth, so that schemathesis knows the header is supplied.
    config = schemathesis.Config.from_dict(
        {"auth": {"openapi": {"HTTPBearer": {"bearer": world.keys[role]}}}}
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: (METHOD_ORDER.get(op.method.upper(), 1), op.path),
    )
    run = FuzzRun()
    started = time.perf_counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(operation, mode, examples=examples, world=world, run=run)
    elapsed = time.perf_counter() - started

    backend = fuzzed_app[0].state.settings.database_url.split(":")[0].split("+")[0]
    with capsys.disabled():
        print(
            f"\nFUZZ {backend} {role}: {run.requests} requests, {len(operations)} operations, "
            f"{elapsed:.0f} s; statuses {dict(sorted(run.statuses.items()))}"
        )
        if os.environ.get("FUZZ_VERBOSE"):
            for (label, status), count in sorted(run.by_status.items()):
                print(f"  {label}: {status} x {count}")
    assert not run.failures, "\n\n".join(run.failures)
    assert run.requests >= minimum, f"only {run.requests} requests were made"
    missed = [op.label for op in operations if not run.per_operation.get(op.label)]
    assert not missed, f"operations never exercised: {missed}"
