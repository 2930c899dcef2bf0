from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import CallerFactory

WEIGHTS = {"semantic": 2, "sector": 1, "region": 1, "modality": 0, "language": 0, "cost": 0}


def test_staff_creates_profile_with_normalised_weights(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("staff").headers
    response = client.put(
        "/api/v1/scoring-profiles/semantic-heavy", json={"weights": WEIGHTS}, headers=headers
    )
    assert response.status_code == 200, response.text
    weights = response.json()["weights"]
    assert weights["semantic"] == 0.5 and abs(sum(weights.values()) - 1) < 1e-12
    names = [p["name"] for p in client.get("/api/v1/scoring-profiles", headers=headers).json()]
    assert names == ["default", "semantic-heavy"]


def test_making_a_profile_default_unsets_the_old_one(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("admin").headers
    client.put("/api/v1/scoring-profiles/new", json={"weights": WEIGHTS, "is_default": True}, headers=headers)
    profiles = {
        p["name"]: p["is_default"] for p in client.get("/api/v1/scoring-profiles", headers=headers).json()
    }
    assert profiles == {"default": False, "new": True}


def test_all_zero_or_negative_weights_are_422(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("staff").headers
    zero = dict.fromkeys(WEIGHTS, 0)
    assert (
        client.put("/api/v1/scoring-profiles/x", json={"weights": zero}, headers=headers).status_code == 422
    )
    negative = {**WEIGHTS, "cost": -1}
    assert (
        client.put("/api/v1/scoring-profiles/x", json={"weights": negative}, headers=headers).status_code
        == 422
    )


def test_stale_version_on_replace_is_409(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("staff").headers
    client.put("/api/v1/scoring-profiles/p", json={"weights": WEIGHTS}, headers=headers)
    changed = {**WEIGHTS, "cost": 1}
    assert (
        client.put(
            "/api/v1/scoring-profiles/p", json={"weights": changed, "version": 1}, headers=headers
        ).json()["version"]
        == 2
    )
    stale = client.put("/api/v1/scoring-profiles/p", json={"weights": WEIGHTS, "version": 1}, headers=headers)
    assert stale.status_code == 409


def test_unknown_profile_is_404(client: TestClient, caller: CallerFactory) -> None:
    assert client.get("/api/v1/scoring-profiles/nope", headers=caller("staff").headers).status_code == 404


def test_replacing_a_profile_without_its_version_is_409_and_changes_nothing(
    client: TestClient, caller: CallerFactory
) -> None:
    headers = caller("staff").headers
    created = client.put("/api/v1/scoring-profiles/q", json={"weights": WEIGHTS}, headers=headers)
    assert created.status_code == 200
    blind = client.put(
        "/api/v1/scoring-profiles/q", json={"weights": {**WEIGHTS, "cost": 5}}, headers=headers
    )
    assert blind.status_code == 409 and "send the version" in blind.json()["detail"]
    assert client.get("/api/v1/scoring-profiles/q", headers=headers).json() == created.json()
