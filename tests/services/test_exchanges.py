"""The exchange service: transitions, side rules, versions and the history every write appends."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.errors import Conflict, Forbidden, NotFound, StaleVersion
from broker.models import Exchange, Match, Role
from broker.schemas.exchange import ExchangeCreate, ExchangeUpdate, StatusChange
from broker.services import exchanges as service
from tests.factories import make_institution, make_offer, make_request

STAFF = Principal(key_id=None, name="Staff", role=Role.staff)


@pytest.fixture
def opened(session: Session) -> tuple[Exchange, Principal, Principal]:
    kenya = make_institution(session, name="Kenya", country="KEN")
    brazil = make_institution(session, name="Brazil", country="BRA", languages=["pt"])
    match = Match(
        request_id=make_request(session, kenya).id,
        offer_id=make_offer(session, brazil).id,
        profile="default",
        score=0.6,
        rank=1,
        status="accepted",
    )
    session.add(match)
    session.flush()
    exchange = service.open_exchange(session, principal=STAFF, match_id=match.id, data=ExchangeCreate())
    requester = Principal(key_id=None, name="K", role=Role.institution, institution_id=kenya.id)
    provider = Principal(key_id=None, name="B", role=Role.institution, institution_id=brazil.id)
    return exchange, requester, provider


def _move(session: Session, exchange: Exchange, status: str) -> Exchange:
    data = StatusChange(status=status, version=exchange.version)  # type: ignore[arg-type]
    return service.move_status(session, principal=STAFF, exchange_id=exchange.id, data=data)


def test_every_move_is_in_the_history_and_final_states_stay_final(
    session: Session, opened: tuple[Exchange, Principal, Principal]
) -> None:
    exchange, _, _ = opened
    _move(session, exchange, "under_way")
    _move(session, exchange, "cancelled")
    moves = [(c.from_status, c.to_status) for c in exchange.changes]
    assert moves == [(None, "planned"), ("planned", "under_way"), ("under_way", "cancelled")]
    assert exchange.completed_at is None
    with pytest.raises(Conflict):
        _move(session, exchange, "under_way")
    with pytest.raises(Conflict):
        service.update_exchange(
            session,
            principal=STAFF,
            exchange_id=exchange.id,
            data=ExchangeUpdate(version=exchange.version, notes="late"),
        )


def test_shared_fields_are_the_sides_only_while_planned(
    session: Session, opened: tuple[Exchange, Principal, Principal]
) -> None:
    exchange, requester, provider = opened
    service.update_exchange(
        session,
        principal=requester,
        exchange_id=exchange.id,
        data=ExchangeUpdate(version=exchange.version, participants=8),
    )
    assert (
        exchange.participants == 8 and exchange.changes[-1].actor_institution_id == requester.institution_id
    )
    _move(session, exchange, "under_way")
    with pytest.raises(Forbidden):
        service.update_exchange(
            session,
            principal=provider,
            exchange_id=exchange.id,
            data=ExchangeUpdate(version=exchange.version, participants=9),
        )
    service.update_exchange(
        session,
        principal=provider,
        exchange_id=exchange.id,
        data=ExchangeUpdate(version=exchange.version, provider_contact="Ana"),
    )
    with pytest.raises(StaleVersion):
        service.update_exchange(
            session, principal=STAFF, exchange_id=exchange.id, data=ExchangeUpdate(version=1, notes="x")
        )


def test_a_stranger_institution_reads_nothing(
    session: Session, opened: tuple[Exchange, Principal, Principal]
) -> None:
    exchange, _, _ = opened
    other = make_institution(session, name="Peru", country="PER")
    stranger = Principal(key_id=None, name="P", role=Role.institution, institution_id=other.id)
    with pytest.raises(NotFound):
        service.get_exchange(session, principal=stranger, exchange_id=exchange.id)
