"""Bad input of every kind gets a clear 4xx in the one error shape, and writes nothing at all.

Wrong content types answer 415 (documented on every operation that takes a body); bodies that are
not readable JSON (bad UTF-8, nesting too deep) answer 422 like any other malformed JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import ApiKey, Institution, KnowledgeRequest, Match, MatchReview, Offer, ScoringProfile
from tests.factories import CallerFactory, make_institution, make_offer, make_request

MIB = 1024 * 1024
COUNTED = [Institution, Offer, KnowledgeRequest, Match, MatchReview, ApiKey, ScoringProfile]


@dataclass
class Target:
    """A seeded world, an admin's headers, and the row counts before the bad request."""

    client: TestClient
    session: Session
    headers: dict[str, str]
    ids: dict[str, int]

    def counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = {
            m.__tablename__: self.session.scalar(select(func.count()).select_from(m)) for m in COUNTED
        }
        # A failed PATCH must not have bumped the version of what it aimed at.
        counts["offer_version"] = self.session.get(Offer, self.ids["offer"]).version  # type: ignore[union-attr]
        self.session.expire_all()
        return counts


@pytest.fixture
def target(client: TestClient, session: Session, caller: CallerFactory) -> Target:
    a = make_institution(session, name="FNDE", country="BRA", languages=["pt"])
    offer = make_offer(session, a)
    request = make_request(session, a)
    match = Match(request_id=request.id, offer_id=offer.id, profile="default", score=0.5, rank=1)
    session.add(match)
    session.flush()
    ids = {"institution": a.id, "offer": offer.id, "request": request.id, "match": match.id}
    return Target(client, session, caller("admin").headers, ids)


# (method, path, a valid body) for every operation that takes a body.
def write_operations(ids: dict[str, int]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (
            "POST",
            "/api/v1/institutions",
            {"name": "Ministry", "country": "GHA", "kind": "ngo", "languages": ["en"]},
        ),
        ("PATCH", f"/api/v1/institutions/{ids['institution']}", {"version": 1, "name": "Renamed"}),
        (
            "POST",
            "/api/v1/offers",
            {
                "institution_id": ids["institution"],
                "title": "Tax administration reform",
                "description": "A decade of reform in tax collection.",
                "sectors": ["15111"],
                "modalities": ["expert_visit"],
                "cost_usd": 1000,
            },
        ),
        ("PATCH", f"/api/v1/offers/{ids['offer']}", {"version": 1, "title": "Renamed offer", "cost_usd": 10}),
        (
            "POST",
            "/api/v1/requests",
            {
                "institution_id": ids["institution"],
                "title": "Raise tax revenue",
                "description": "Our tax base is narrow and informal.",
                "sectors": ["15111"],
                "budget_usd": 5000,
                "participants": 4,
            },
        ),
        ("PATCH", f"/api/v1/requests/{ids['request']}", {"version": 1, "budget_usd": 10, "participants": 2}),
        ("POST", f"/api/v1/matches/{ids['match']}/reviews", {"status": "accepted", "note": "fits"}),
        ("POST", "/api/v1/keys", {"name": "k", "role": "staff"}),
        (
            "PUT",
            "/api/v1/scoring-profiles/cheap",
            {
                "weights": {"semantic": 1, "sector": 1, "region": 1, "modality": 1, "language": 1, "cost": 1},
                "description": "flat",
            },
        ),
        (
            "POST",
            "/api/v1/match",
            {"title": "Raise tax revenue", "description": "Our tax base is narrow.", "country": "GHA"},
        ),
    ]


OPERATION_IDS = [
    "POST institutions",
    "PATCH institution",
    "POST offers",
    "PATCH offer",
    "POST requests",
    "PATCH request",
    "POST review",
    "POST keys",
    "PUT profile",
    "POST match",
]


def assert_refused(target: Target, before: dict[str, Any], response: Response, status: int) -> Any:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert len(response.content) < 8_000, "an error must not echo a huge input back"
    assert target.counts() == before, "a refused request wrote something"
    return body


@pytest.fixture(params=range(len(OPERATION_IDS)), ids=OPERATION_IDS)
def operation(request: pytest.FixtureRequest, target: Target) -> tuple[str, str, dict[str, Any]]:
    return write_operations(target.ids)[request.param]


def test_the_valid_bodies_are_valid(target: Target) -> None:
    # The bad-input tests below change one thing in these bodies; they must work unchanged.
    for method, path, body in write_operations(target.ids):
        response = target.client.request(method, path, json=body, headers=target.headers)
        assert response.status_code in (200, 201), (method, path, response.text)


def test_body_over_one_mib_is_413(target: Target, operation: tuple[str, str, dict[str, Any]]) -> None:
    method, path, body = operation
    before = target.counts()
    padded = json.dumps({**body, "padding": "x" * MIB}).encode()
    response = target.client.request(method, path, content=padded, headers=target.headers | _JSON)
    assert_refused(target, before, response, 413)


def test_chunked_body_over_one_mib_is_413(target: Target, operation: tuple[str, str, dict[str, Any]]) -> None:
    method, path, _ = operation
    before = target.counts()

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65_536
        yield b'"}'

    response = target.client.request(method, path, content=chunks(), headers=target.headers | _JSON)
    assert_refused(target, before, response, 413)


NON_JSON_CONTENT_TYPES = [
    None,
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
]


def test_non_json_content_type_is_415(target: Target, operation: tuple[str, str, dict[str, Any]]) -> None:
    method, path, body = operation
    for content_type in NON_JSON_CONTENT_TYPES:
        before = target.counts()
        headers = dict(target.headers) | ({"Content-Type": content_type} if content_type else {})
        response = target.client.request(method, path, content=json.dumps(body).encode(), headers=headers)
        refused = assert_refused(target, before, response, 415)
        assert refused["error"] == "unsupported_media_type", content_type


BAD_BODIES = {
    "invalid UTF-8": b'{"name": "caf\xe9 \xff\xfe"}',
    "truncated JSON": b'{"name": "x", ',
    "nested 100k deep": b"[" * 100_000 + b"]" * 100_000,
    "nested objects 20k deep": b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    "a JSON list": b"[]",
    "a JSON string": b'"hello"',
    "JSON null": b"null",
    "a number": b"1e999",
    "NaN": b'{"title": NaN}',
    "empty object": b"{}",
}


def test_unreadable_or_wrong_shaped_json_is_422(
    target: Target, operation: tuple[str, str, dict[str, Any]]
) -> None:
    method, path, _ = operation
    for name, raw in BAD_BODIES.items():
        before = target.counts()
        response = target.client.request(method, path, content=raw, headers=target.headers | _JSON)
        body = assert_refused(target, before, response, 422)
        assert body["error"] == "validation_error" and body["detail"], name


def test_huge_string_in_every_text_field_is_422(
    target: Target, operation: tuple[str, str, dict[str, Any]]
) -> None:
    """Each string property of the operation's documented body: one over its limit, and ~900 KB."""
    method, path, body = operation
    fields = text_fields(target.client, method, path)
    assert fields, "every write body has text fields"
    for name, max_length in fields.items():
        for size in (max_length + 1, 900_000):
            before = target.counts()
            bad = {**body, name: _sized(name, size)}
            response = target.client.request(method, path, json=bad, headers=target.headers)
            refused = assert_refused(target, before, response, 422)
            assert any(name in entry["loc"] for entry in refused["detail"]), (name, refused)


ABSURD_NUMBERS = [
    ("POST requests", "budget_usd", -1),
    ("POST requests", "budget_usd", 1e12),
    ("POST requests", "budget_usd", 1e308),
    ("POST requests", "budget_usd", 0),
    ("POST requests", "budget_usd", 1e-300),  # cost / budget would overflow in the scorer
    ("POST match", "budget_usd", 5e-324),
    ("POST requests", "budget_usd", "12k"),
    ("POST requests", "participants", 0),
    ("POST requests", "participants", -3),
    ("POST requests", "participants", 10**6),
    ("POST requests", "participants", 10**40),
    ("POST requests", "participants", 2.5),
    ("POST requests", "sdgs", [0]),
    ("POST requests", "sdgs", [18]),
    ("POST requests", "sdgs", [10**30]),
    ("POST requests", "institution_id", 0),
    ("POST requests", "institution_id", -1),
    ("POST requests", "institution_id", 2**31),
    ("POST requests", "institution_id", 2**64),
    ("POST offers", "cost_usd", -0.01),
    ("POST offers", "cost_usd", 1e15),
    ("POST offers", "capacity_per_year", -1),
    ("POST offers", "capacity_per_year", 10**9),
    ("PATCH offer", "version", 0),
    ("PATCH offer", "version", 2**31),
    ("PATCH offer", "version", -(2**63)),
    ("PATCH offer", "cost_usd", -5),
    ("PATCH request", "budget_usd", -1),
    ("PATCH request", "participants", 0),
    ("POST review", "version", 2**40),
    ("POST keys", "institution_id", 2**40),
    ("PUT profile", "version", 2**40),
]


@pytest.mark.parametrize(("op", "field", "value"), ABSURD_NUMBERS, ids=lambda v: str(v)[:20])
def test_negative_or_absurd_numbers_are_422(target: Target, op: str, field: str, value: Any) -> None:
    method, path, body = write_operations(target.ids)[OPERATION_IDS.index(op)]
    before = target.counts()
    response = target.client.request(method, path, json={**body, field: value}, headers=target.headers)
    refused = assert_refused(target, before, response, 422)
    assert any(field in entry["loc"] for entry in refused["detail"]), refused


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
@pytest.mark.parametrize("field", ["budget_usd", "participants"])
def test_non_finite_numbers_are_422(target: Target, literal: bytes, field: str) -> None:
    method, path, body = write_operations(target.ids)[OPERATION_IDS.index("POST requests")]
    before = target.counts()
    raw = json.dumps({**body, field: "@@"}).encode().replace(b'"@@"', literal)
    response = target.client.request(method, path, content=raw, headers=target.headers | _JSON)
    assert_refused(target, before, response, 422)


@pytest.mark.parametrize(
    ("op", "field", "value"),
    [
        ("GET /api/v1/offers", "limit", 0),
        ("GET /api/v1/offers", "limit", 10**6),
        ("GET /api/v1/offers", "offset", -1),
        ("GET /api/v1/offers", "offset", 10**20),
        ("GET /api/v1/offers", "institution_id", 2**63),
        ("GET /api/v1/requests", "q", "x" * 10_000),
        ("GET /api/v1/institutions", "q", "a\x00b"),
        ("GET /api/v1/offers", "sector", "\x00"),
        ("GET /api/v1/offers/{offer}", "", ""),
    ],
    ids=lambda v: str(v)[:24],
)
def test_absurd_query_and_path_values_are_422(target: Target, op: str, field: str, value: Any) -> None:
    path = op.split(" ", 1)[1]
    if "{offer}" in path:
        for bad in (0, -1, 2**31, 2**70, "abc", "1.5"):
            response = target.client.get(path.replace("{offer}", str(bad)), headers=target.headers)
            assert response.status_code == 422 and set(response.json()) == {"error", "detail"}, (
                bad,
                response.text,
            )
        return
    response = target.client.get(path, params={field: value}, headers=target.headers)
    assert response.status_code == 422, response.text
    assert set(response.json()) == {"error", "detail"}


DUPLICATES = [
    ("POST offers", "sectors", ["15111", "15111"]),
    ("POST offers", "modalities", ["study_tour", "study_tour"]),
    ("POST offers", "sdgs", [4, 4]),
    ("POST offers", "languages", ["pt", "pt"]),
    ("POST requests", "desired_outcomes", ["raised_awareness", "raised_awareness"]),
    ("POST institutions", "languages", ["en", "en"]),
    ("PATCH offer", "sectors", ["15111", "15111"]),
]
UNKNOWN = [
    ("POST offers", "sectors", ["99999"]),
    ("POST offers", "sectors", ["1511"]),
    ("POST offers", "modalities", ["teleportation"]),
    ("POST offers", "languages", ["zz"]),
    ("POST offers", "country", "Atlantis"),
    ("POST requests", "desired_outcomes", ["world_peace"]),
    ("POST institutions", "country", "XXX"),
    ("POST institutions", "kind", "cartel"),
    ("POST review", "status", "maybe"),
    ("POST keys", "role", "root"),
    ("PATCH request", "status", "lost"),
]


@pytest.mark.parametrize(("op", "field", "value"), DUPLICATES + UNKNOWN, ids=lambda v: str(v)[:24])
def test_duplicate_and_unknown_codes_are_422_naming_the_field(
    target: Target, op: str, field: str, value: Any
) -> None:
    method, path, body = write_operations(target.ids)[OPERATION_IDS.index(op)]
    before = target.counts()
    response = target.client.request(method, path, json={**body, field: value}, headers=target.headers)
    refused = assert_refused(target, before, response, 422)
    assert any(field in entry["loc"] for entry in refused["detail"]), refused


UNSTORABLE = {"NUL": "a\x00b", "lone high surrogate": "\ud800", "low surrogate": "ok \udfff"}


def test_unstorable_characters_are_422(target: Target, operation: tuple[str, str, dict[str, Any]]) -> None:
    method, path, body = operation
    fields = text_fields(target.client, method, path)
    field = max(fields, key=fields.__getitem__)  # the longest free-text field, not a patterned one
    for name, text in UNSTORABLE.items():
        before = target.counts()
        raw = json.dumps({**body, field: text}).encode()  # ensure_ascii: a surrogate travels as \ud800
        response = target.client.request(method, path, content=raw, headers=target.headers | _JSON)
        refused = assert_refused(target, before, response, 422)
        assert any(field in entry["loc"] for entry in refused["detail"]), (name, refused)


def test_unknown_field_with_a_surrogate_name_is_a_clean_422(target: Target) -> None:
    method, path, body = write_operations(target.ids)[0]
    before = target.counts()
    raw = json.dumps({**body, "\ud800": 1}).encode()
    response = target.client.request(method, path, content=raw, headers=target.headers | _JSON)
    assert_refused(target, before, response, 422)


_JSON = {"Content-Type": "application/json"}


def text_fields(client: TestClient, method: str, path: str) -> dict[str, int]:
    """The documented body's string properties and their maxLength (nullable ones included)."""
    schema = client.get("/openapi.json").json()
    template = next(p for p in schema["paths"] if _same_route(p, path))
    ref = schema["paths"][template][method.lower()]["requestBody"]["content"]["application/json"]["schema"][
        "$ref"
    ]
    properties = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    fields = {}
    for name, prop in properties.items():
        for option in prop.get("anyOf", [prop]):
            if option.get("type") == "string" and "maxLength" in option and "enum" not in option:
                fields[name] = option["maxLength"]
    return fields


def _same_route(template: str, path: str) -> bool:
    left, right = template.split("/"), path.split("/")
    return len(left) == len(right) and all(
        a == b or a.startswith("{") for a, b in zip(left, right, strict=True)
    )


def _sized(name: str, size: int) -> str:
    # Stay inside any pattern (emails, URLs, external ids) so that only the length is wrong.
    if "email" in name:
        return "a" * (size - 6) + "@x.org"
    if name == "website":
        return "https://" + "a" * (size - 8)
    return "a" * size


INSTITUTIONS_CSV = b"external_id,name,country,kind,languages\n"
BAD_IMPORTS = {
    "JSON nested 50k deep": ("json", b"[" * 50_000 + b"]" * 50_000),
    "NDJSON line nested 50k deep": ("ndjson", b"[" * 50_000 + b"]" * 50_000 + b"\n"),
    "CSV cell over the csv module's limit": (
        "csv",
        INSTITUTIONS_CSV + b"x1," + b"a" * 900_000 + b",GHA,ngo,en\n",
    ),
    "CSV with NUL": ("csv", INSTITUTIONS_CSV + b"x2,Na\x00me,GHA,ngo,en\n"),
    "JSON with a lone surrogate": (
        "json",
        b'[{"external_id": "x3", "name": "\\ud800", "country": "GHA", "kind": "ngo", "languages": ["en"]}]',
    ),
    "invalid UTF-8": ("csv", INSTITUTIONS_CSV + b"x4,caf\xe9,GHA,ngo,en\n"),
    "JSON scalar": ("json", b"1"),
}


@pytest.mark.parametrize(("fmt", "raw"), BAD_IMPORTS.values(), ids=BAD_IMPORTS.keys())
def test_bad_import_files_are_422_and_import_nothing(target: Target, fmt: str, raw: bytes) -> None:
    before = target.counts()
    media = {"csv": "text/csv", "json": "application/json", "ndjson": "application/x-ndjson"}[fmt]
    response = target.client.post(
        f"/api/v1/import?format={fmt}&kind=institutions",
        content=raw,
        headers=target.headers | {"Content-Type": media},
    )
    assert response.status_code == 422, response.text[:300]
    body = response.json()
    # Either the error shape or the import report that says nothing was applied.
    assert set(body) == {"error", "detail"} or body["applied"] is False, body
    assert len(response.content) < 8_000
    assert target.counts() == before


def test_csv_saved_with_a_byte_order_mark_imports(target: Target) -> None:
    raw = b"\xef\xbb\xbf" + INSTITUTIONS_CSV + b"bom-1,Ministry,GHA,ngo,en\n"
    response = target.client.post(
        "/api/v1/import?format=csv&kind=institutions",
        content=raw,
        headers=target.headers | {"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == {"institutions": 1}
