"""Reading ranked matches is cheap: an unchanged list writes nothing, a repeated text is embedded once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from broker.ranking.embedding import Encoder
from tests.factories import CallerFactory, make_hiv_catalogue, make_offer

WRITES = ("INSERT", "UPDATE", "DELETE")


class CountingEncoder:
    """Another encoder's vectors, counting the texts it is asked to embed."""

    def __init__(self, inner: Encoder) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> Any:
        self.calls.append(len(texts))
        return self.inner.encode(texts)


@contextmanager
def written_statements(session: Session) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements the session's connection runs meanwhile."""
    seen: list[str] = []
    conn = session.connection()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES):
            seen.append(statement)

    event.listen(conn, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", record)


def test_an_unchanged_ranked_list_is_read_without_writing(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    catalogue = make_hiv_catalogue(session)
    staff = caller("staff").headers
    url = f"/api/v1/requests/{catalogue['request'].id}/matches"
    first = client.get(url, headers=staff)
    assert first.status_code == 200 and first.json()["items"]
    engine = client.app.state.match_engine  # type: ignore[attr-defined]
    rankings: list[int] = []
    rank_offers = engine.rank_offers
    engine.rank_offers = lambda *a, **k: rankings.append(1) or rank_offers(*a, **k)
    with written_statements(session) as writes:
        again = client.get(url, headers=staff)
    assert again.json()["items"] == first.json()["items"]
    assert writes == []
    assert rankings == []  # the list was remembered: no ranking, no explaining


def test_a_changed_list_is_stored_again_and_reviews_are_kept(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    catalogue = make_hiv_catalogue(session)
    staff = caller("staff").headers
    url = f"/api/v1/requests/{catalogue['request'].id}/matches"
    items = client.get(url, headers=staff).json()["items"]
    reviewed = items[0]
    review = client.post(
        f"/api/v1/matches/{reviewed['id']}/reviews", json={"status": "shortlisted"}, headers=staff
    )
    assert review.status_code in (200, 201), review.text
    new = make_offer(
        session,
        catalogue["brazil"],  # type: ignore[arg-type]
        title="HIV treatment adherence clubs",
        description="HIV treatment adherence clubs for antiretroviral therapy.",
        sectors=["13040"],
    )
    with written_statements(session) as writes:
        ranked = client.get(url, headers=staff).json()["items"]
    assert any("matches" in w for w in writes)  # the list changed, so it was stored
    assert new.id in [i["offer_id"] for i in ranked]
    kept = next(i for i in ranked if i["offer_id"] == reviewed["offer_id"])
    assert kept["id"] == reviewed["id"] and kept["status"] == "shortlisted"
    assert all(i["id"] is not None for i in ranked)  # every item can be reviewed by its id


def test_a_repeated_query_text_is_embedded_once(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    make_hiv_catalogue(session)
    engine = client.app.state.match_engine  # type: ignore[attr-defined]
    engine.sync(session)  # the catalogue's own texts (the factories store no vectors) are read first
    engine.encoder = counting = CountingEncoder(engine.encoder)
    body = {"title": "HIV treatment", "description": "Scale up antiretroviral therapy.", "country": "KE"}
    broker = caller("broker").headers
    first = client.post("/api/v1/match", json=body, headers=broker)
    second = client.post("/api/v1/match", json=body, headers=broker)
    assert first.status_code == second.status_code == 200, first.text
    assert first.json()["items"] == second.json()["items"]
    assert counting.calls == [1]  # the second call found the text's vector in the query cache
