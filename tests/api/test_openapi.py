"""The OpenAPI document: every write has an example body that is valid, every operation a readable summary."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

import broker.schemas
from broker.main import create_app
from broker.services.bulk import formats
from tests.factories import CallerFactory

WRITES = ("post", "put", "patch")
# Words a summary may capitalise after its first: names and acronyms.
PROPER = {"API", "DAC", "SDGs", "M49", "Prometheus", "OpenAPI"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app().openapi()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def schema_models() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for module in pkgutil.iter_modules(broker.schemas.__path__):
        loaded = importlib.import_module(f"broker.schemas.{module.name}")
        for name, value in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(value, BaseModel) and value.__module__ == loaded.__name__:
                found[name] = value
    return found


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return name, spec["components"]["schemas"][name]
    return None, schema


def test_every_write_body_has_an_example(spec: dict[str, Any]) -> None:
    missing = []
    for method, path, op in operations(spec):
        if method not in WRITES or "requestBody" not in op:
            continue
        for media, content in op["requestBody"]["content"].items():
            _, schema = resolve(spec, content["schema"])
            if not (content.get("example") or content.get("examples") or schema.get("examples")):
                missing.append(f"{method.upper()} {path} ({media})")
    assert missing == []


def test_the_writes_that_must_have_bodies_have_them(spec: dict[str, Any]) -> None:
    # A guard on the test above: it must not pass because the bodies went missing from the spec.
    with_body = {(m, p) for m, p, op in operations(spec) if m in WRITES and "requestBody" in op}
    for expected in [
        ("post", "/api/v1/institutions"),
        ("patch", "/api/v1/offers/{item_id}"),
        ("post", "/api/v1/requests"),
        ("post", "/api/v1/matches/{match_id}/reviews"),
        ("put", "/api/v1/scoring-profiles/{name}"),
        ("post", "/api/v1/keys"),
        ("post", "/api/v1/import"),
        ("post", "/api/v1/suggest"),
        ("post", "/api/v1/match"),
    ]:
        assert expected in with_body


def test_every_schema_example_is_a_valid_body(spec: dict[str, Any]) -> None:
    models = schema_models()
    checked = 0
    for name, schema in spec["components"]["schemas"].items():
        for example in schema.get("examples", []):
            model = models[name.split("__")[-1]]
            model.model_validate(example)  # raises, naming the field, if an example went stale
            checked += 1
    assert checked >= 11


def test_the_import_examples_parse_in_their_formats(spec: dict[str, Any]) -> None:
    content = spec["paths"]["/api/v1/import"]["post"]["requestBody"]["content"]
    fmt = {"text/csv": formats.Format.csv, "application/x-ndjson": formats.Format.ndjson}
    for media, format_ in fmt.items():
        assert formats.parse(content[media]["example"], format_, "institutions")
    bundle = formats.parse(json.dumps(content["application/json"]["example"]), formats.Format.json, None)
    assert {r.kind for r in bundle} == {"institutions", "offers"}


def test_the_import_csv_example_imports(
    spec: dict[str, Any], client: TestClient, caller: CallerFactory
) -> None:
    example = spec["paths"]["/api/v1/import"]["post"]["requestBody"]["content"]["text/csv"]["example"]
    response = client.post(
        "/api/v1/import?format=csv&kind=institutions",
        content=example,
        headers=caller("admin").headers | {"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == {"institutions": 2}


def test_every_operation_has_a_summary_that_reads_as_a_phrase(spec: dict[str, Any]) -> None:
    # FastAPI's summary when none is given is the function name in title case ("Get Institution",
    # "Whoami"): a later capitalised word, or a single word, gives it away.
    bad = []
    for method, path, op in operations(spec):
        summary = op.get("summary", "")
        words = summary.split()
        capitalised_later = [w for w in words[1:] if w[:1].isupper() and w not in PROPER]
        if (
            len(words) < 2
            or not summary[0].isupper()
            or "_" in summary
            or capitalised_later
            or re.search(r"\b(one an?|an? an?)\b", summary)
        ):
            bad.append(f"{method.upper()} {path}: {summary!r}")
    assert bad == []


@pytest.mark.parametrize(
    ("method", "path", "summary"),
    [
        ("get", "/api/v1/offers/{item_id}", "Get an offer"),
        ("get", "/api/v1/requests", "List requests"),
        ("post", "/api/v1/institutions", "Create an institution"),
    ],
)
def test_summaries_of_the_common_calls(spec: dict[str, Any], method: str, path: str, summary: str) -> None:
    assert spec["paths"][path][method]["summary"] == summary
