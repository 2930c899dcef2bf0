"""GET /metrics: Prometheus text for staff and admins, with the service's own series."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker import metrics
from broker.config import Settings
from broker.main import create_app
from tests.factories import CallerFactory, make_hiv_catalogue


def _sample(text: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


def test_metrics_count_requests_by_route_and_time_rankings(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    staff = caller("staff").headers
    catalogue = make_hiv_catalogue(session)
    before = client.get("/metrics", headers=staff).text
    ranked = client.get(f"/api/v1/requests/{catalogue['request'].id}/matches", headers=staff)
    assert ranked.status_code == 200
    response = client.get("/metrics", headers=staff)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    route = 'route="/api/v1/requests/{request_id}/matches",status="200"'
    counted = f'broker_http_requests_total{{method="GET",{route}}}'
    assert _sample(text, counted) == _sample(before, counted) + 1
    ranking = 'broker_ranking_seconds_count{kind="offers"}'
    assert _sample(text, ranking) == _sample(before, ranking) + 1
    assert _sample(text, "broker_index_offers") >= 2
    assert _sample(text, "broker_embedded_texts_total") >= 1
    for name in (
        "broker_http_request_seconds_bucket",
        "broker_db_lock_wait_seconds",
        "broker_index_generation",
    ):
        assert name in text
    assert f"/requests/{catalogue['request'].id}/matches" not in text  # templates, not paths


def test_apps_made_one_after_another_count_each_embedding_once(app_settings: Settings) -> None:
    # The encoder is cached per process: every app must not wrap it again (a wrapper per app once
    # ended in a RecursionError).
    engines = []
    for _ in range(3):
        with TestClient(create_app(app_settings)) as client:
            engines.append(client.app.state.match_engine)  # type: ignore[attr-defined]
    encoder = engines[0].encoder
    before = _sample(metrics.render()[0].decode(), "broker_embedded_texts_total")
    encoder.encode(["one text"])
    assert _sample(metrics.render()[0].decode(), "broker_embedded_texts_total") == before + 1
