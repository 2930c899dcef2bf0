from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import CallerFactory

CSV = (
    "external_id,name,country,kind,languages\n"
    "inst-x,Agency X,Ghana,government,en\n"
    "inst-y,Agency Y,Atlantis,ngo,en\n"
)


def test_import_with_a_bad_row_is_422_with_the_report(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("broker").headers | {"Content-Type": "text/csv"}
    response = client.post("/api/v1/import?format=csv&kind=institutions", content=CSV, headers=headers)
    assert response.status_code == 422
    report = response.json()
    assert report["applied"] is False
    assert [(p["line"], p["field"]) for p in report["problems"]] == [(3, "country")]
    found = client.get("/api/v1/institutions?q=Agency", headers=headers).json()
    assert found["total"] == 0


def test_partial_import_then_export_as_csv(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("broker").headers
    response = client.post(
        "/api/v1/import?format=csv&kind=institutions&partial=true",
        content=CSV,
        headers=headers | {"Content-Type": "text/csv"},
    )
    assert response.status_code == 200 and response.json()["created"] == {"institutions": 1}
    exported = client.get("/api/v1/export?kind=institutions&format=csv", headers=headers)
    assert exported.headers["content-type"].startswith("text/csv")
    assert "inst-x,Agency X,GHA,government,en" in exported.text


def test_import_body_must_be_utf8(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("admin").headers | {"Content-Type": "text/csv"}
    response = client.post(
        "/api/v1/import?format=csv&kind=institutions", content=b"\xff\xfe\x00bad", headers=headers
    )
    assert response.status_code == 422 and response.json()["error"] == "validation_error"
