from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import CallerFactory, make_institution, make_offer

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


FORMULAS = ['=HYPERLINK("http://evil")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "'=already quoted"]


def test_csv_export_neutralises_formulas_and_imports_back_unchanged(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    headers = caller("admin").headers
    institution = make_institution(
        session, external_id="inst-f", name=FORMULAS[0], contact_name=FORMULAS[1], description=FORMULAS[3]
    )
    make_offer(
        session, institution, external_id="offer-f", title=FORMULAS[2], description=FORMULAS[4] + " and more"
    )
    exported = {}
    for kind in ("institutions", "offers"):
        response = client.get(f"/api/v1/export?kind={kind}&format=csv", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'attachment; filename="{kind}.csv"'
        rows = list(csv.reader(io.StringIO(response.text)))
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
        exported[kind] = response.text
    assert "'=HYPERLINK" in exported["institutions"] and "''=already quoted" in exported["offers"]

    for kind in ("institutions", "offers"):  # the round trip: nothing to change
        response = client.post(
            f"/api/v1/import?format=csv&kind={kind}", content=exported[kind], headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["created"] == {} and response.json()["updated"] == {}, response.json()
    session.expire_all()
    assert (institution.name, institution.contact_name) == (FORMULAS[0], FORMULAS[1])


def test_every_export_names_a_file(client: TestClient, caller: CallerFactory) -> None:
    for fmt in ("json", "ndjson", "csv"):
        response = client.get(f"/api/v1/export?kind=requests&format={fmt}", headers=caller("staff").headers)
        assert response.headers["content-disposition"] == f'attachment; filename="requests.{fmt}"'


def test_a_file_of_empty_records_reports_the_first_thousand_problems_and_the_total(
    client: TestClient, caller: CallerFactory
) -> None:
    body = "[" + ",".join(["{}"] * 5000) + "]"
    response = client.post(
        "/api/v1/import?format=json&kind=offers", content=body, headers=caller("admin").headers
    )
    assert response.status_code == 422
    report = response.json()
    assert report["applied"] is False
    assert len(report["problems"]) == 1000 and report["problem_count"] == 5000
    assert len(response.content) < 300_000
    assert report["problems"][0]["line"] == 1


def test_csv_with_an_unterminated_quote_is_a_422_parse_error_with_its_line(
    client: TestClient, caller: CallerFactory
) -> None:
    headers = caller("broker").headers | {"Content-Type": "text/csv"}
    body = CSV.replace("inst-y,Agency Y,", 'inst-y,"Agency Y,')
    response = client.post("/api/v1/import?format=csv&kind=institutions", content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert response.json()["detail"].startswith("invalid CSV: line 3: unterminated quoted field")
    assert client.get("/api/v1/institutions?q=Agency", headers=headers).json()["total"] == 0


def test_csv_unknown_column_is_listed_in_the_422_report(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("broker").headers | {"Content-Type": "text/csv"}
    body = "external_id,name,country,kind,languages,webiste\ninst-z,Agency Z,Ghana,government,en,x.org\n"
    response = client.post("/api/v1/import?format=csv&kind=institutions", content=body, headers=headers)
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["line"] == 1 and problem["field"] == "webiste"
    assert problem["reason"] == "unknown column 'webiste'; did you mean 'website'?"
