"""The outbox: every change subscribers hear of writes its event in its own transaction, through
every write path, and a change that fails or is rolled back writes none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broker.models import Event, Match, Offer, Role
from broker.ranking.embedding import HashingEncoder
from broker.services.bulk import demo
from broker.services.principal import Principal
from tests.factories import CallerFactory, make_institution, make_offer, make_request

ADMIN = Principal(key_id=0, name="test", role=Role.admin)


def _events(session: Session) -> list[tuple[str, str]]:
    return [(e.type, e.subject) for e in session.scalars(select(Event).order_by(Event.id))]


def _accepted_match(session: Session) -> Match:
    request = make_request(session, make_institution(session, name="Kenya", country="KEN"))
    offer = make_offer(session, make_institution(session, name="Brazil", country="BRA"))
    match = Match(request_id=request.id, offer_id=offer.id, profile="default", score=0.8, rank=1)
    session.add(match)
    session.flush()
    return match


def test_a_review_and_an_exchange_move_each_write_one_event(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    match = _accepted_match(session)
    staff = caller("staff").headers
    before = len(_events(session))
    reviewed = client.post(f"/api/v1/matches/{match.id}/reviews", json={"status": "accepted"}, headers=staff)
    assert reviewed.status_code == 201, reviewed.text
    opened = client.post(f"/api/v1/matches/{match.id}/exchange", json={}, headers=staff).json()
    edited = client.patch(
        f"/api/v1/exchanges/{opened['id']}",
        json={"version": opened["version"], "participants": 4},
        headers=staff,
    ).json()
    client.post(
        f"/api/v1/exchanges/{opened['id']}/status",
        json={"version": edited["version"], "status": "under_way"},
        headers=staff,
    )
    assert _events(session)[before:] == [
        ("match.reviewed", f"match {match.id}"),
        ("exchange.status", f"exchange {opened['id']}"),  # opened
        ("exchange.status", f"exchange {opened['id']}"),  # planned -> under_way; the edit wrote none
    ]
    moves = [e.data for e in session.scalars(select(Event).where(Event.type == "exchange.status"))]
    assert [(m["from_status"], m["to_status"]) for m in moves[-2:]] == [
        (None, "planned"),
        ("planned", "under_way"),
    ]


def test_a_refused_change_writes_no_event(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    match = _accepted_match(session)
    before = _events(session)
    institution = caller("institution", make_institution(session, name="Other", country="PER")).headers
    refused = client.post(
        f"/api/v1/matches/{match.id}/reviews", json={"status": "accepted"}, headers=institution
    )
    assert refused.status_code in (403, 404)
    stale = client.post(f"/api/v1/matches/{match.id}/exchange", json={}, headers=caller("staff").headers)
    assert stale.status_code == 409  # the match was never accepted
    assert _events(session) == before


def test_a_rolled_back_change_leaves_no_event(session: Session) -> None:
    institution = make_institution(session)
    before = _events(session)
    nested = session.begin_nested()
    make_offer(session, institution, title="Never committed")
    assert len(_events(session)) == len(before) + 1  # written with its cause...
    nested.rollback()
    assert _events(session) == before  # ...and gone with it


def test_records_becoming_live_write_events_through_every_path(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    admin = caller("admin").headers
    inst = make_institution(session, name="Ghana Health Service", country="GHA")
    seen = len(_events(session))

    def new_events() -> list[tuple[str, str]]:
        nonlocal seen
        found = _events(session)[seen:]
        seen += len(found)
        return found

    offer = client.post(
        "/api/v1/offers",
        json={
            "institution_id": inst.id,
            "title": "Community nurses",
            "description": "CHPS zones.",
            "modalities": ["study_tour"],
        },
        headers=admin,
    ).json()
    assert new_events() == [("record.published", f"offer {offer['id']}")], "API create"
    draft = client.post(
        "/api/v1/requests",
        json={
            "institution_id": inst.id,
            "title": "Rural clinics",
            "description": "Far apart.",
            "status": "draft",
        },
        headers=admin,
    ).json()
    assert new_events() == [], "a draft is not live"
    client.patch(
        f"/api/v1/requests/{draft['id']}",
        json={"version": draft["version"], "title": "Rural care"},
        headers=admin,
    )
    assert new_events() == [], "an edit of a draft"
    current = client.get(f"/api/v1/requests/{draft['id']}", headers=admin).json()
    opened = client.patch(
        f"/api/v1/requests/{draft['id']}",
        json={"version": current["version"], "status": "open"},
        headers=admin,
    )
    assert opened.status_code == 200, opened.text
    assert new_events() == [("record.published", f"request {draft['id']}")], "API: draft -> open"
    current = opened.json()
    client.patch(
        f"/api/v1/requests/{draft['id']}",
        json={"version": current["version"], "title": "Rural"},
        headers=admin,
    )
    assert new_events() == [], "an edit of a live record is not a new one"

    headers = admin | {"Content-Type": "text/csv"}
    client.post(
        "/api/v1/import?format=csv&kind=institutions",
        headers=headers,
        content="external_id,name,country,kind,languages\ninst-x,Agency X,Ghana,government,en\n",
    )
    imported = client.post(
        "/api/v1/import?format=csv&kind=offers",
        headers=headers,
        content="external_id,institution,title,description,modalities\n"
        "offer-x,inst-x,Cash transfers,Conditional cash transfers,study_tour\n",
    )
    assert imported.status_code == 200, imported.text
    assert [t for t, _ in new_events()] == ["record.published"], "an import"

    demo.load_demo(session, principal=ADMIN, encoder=HashingEncoder())
    live = session.scalar(select(Offer.id).where(Offer.status == "published").order_by(Offer.id.desc()))
    assert live is not None
    assert len([e for e in new_events() if e[0] == "record.published"]) > 100, "the demo loader"


def test_a_bulk_statement_that_could_make_records_live_is_refused(session: Session) -> None:
    offer = make_offer(session, status="draft")
    session.execute(update(Offer).where(Offer.id == offer.id).values(status="archived"))  # allowed: not live
    with pytest.raises(TypeError, match="through the ORM"):
        session.execute(update(Offer).where(Offer.id == offer.id).values(status="published"))
