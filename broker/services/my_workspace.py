"""What an institution's own pages (/ui/my) show: its requests and offers, their ranked matches, and
its own signals on them.

Writes go through ``broker.services.knowledge`` and ranking through ``broker.ranking.service``,
exactly as for the JSON API; this module only adds the rule of these pages (an institution sees
its own records here, nobody else's, drafts included) and gathers what a page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from broker.errors import NotFound
from broker.models import Institution, KnowledgeRequest, MatchSignal, Offer, Role
from broker.ranking import service as matching
from broker.ranking.engine import MatchEngine
from broker.repositories import workspace as workspace_repo
from broker.repositories.knowledge import KnowledgeFilters
from broker.schemas.knowledge import OfferCreate, OfferUpdate, RequestCreate, RequestUpdate
from broker.schemas.ranking import RankedItem, RankedList
from broker.services import knowledge, signals
from broker.services.principal import Principal

Item = TypeVar("Item", Offer, KnowledgeRequest)
PAGE_SIZE = 50
RANKED_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Counterpart:
    """One ranked match seen from the institution's side: the other party and the institution's signal."""

    item: RankedItem
    title: str
    record_id: int  # the other side's offer or request
    institution: Institution
    country: str
    signal: MatchSignal | None

    @property
    def match_id(self) -> int | None:
        return self.item.id


@dataclass(frozen=True, slots=True)
class RecordPage:
    item: Offer | KnowledgeRequest
    institution: Institution
    ranking: RankedList | None  # None: a draft (or closed) record is not ranked here
    counterparts: list[Counterpart]


def own_institution(session: Session, *, principal: Principal) -> Institution:
    """The institution an institution key acts for (its country and languages fill in new records)."""
    principal.require(Role.institution)
    assert principal.institution_id is not None  # institution keys always name one
    return session.get_one(Institution, principal.institution_id)


def list_own(
    session: Session, model: type[Item], *, principal: Principal, offset: int = 0, limit: int = PAGE_SIZE
) -> tuple[list[Item], int]:
    """The institution's own offers or requests, every status, oldest first, with their total."""
    institution = own_institution(session, principal=principal)
    filters = KnowledgeFilters(institution_id=institution.id)
    return knowledge.list_items(
        session, model, principal=principal, filters=filters, limit=limit, offset=offset
    )


def get_own(session: Session, model: type[Item], *, principal: Principal, item_id: int) -> Item:
    """One of the institution's own records; anyone else's answers 404 on these pages, published or not."""
    institution = own_institution(session, principal=principal)
    item = knowledge.get_item(session, model, principal=principal, item_id=item_id)
    if item.institution_id != institution.id:
        raise NotFound(f"{knowledge.LABEL[model]} {item_id} not found")
    return item


def suggest(session: Session, *, engine: MatchEngine, title: str, description: str) -> dict[str, Any]:
    """Codes read from a text that is not stored yet, as ``{kind: [{code, name, confidence}]}``."""
    return engine.suggester.suggest_text(session, title=title, description=description).as_dict()


def create_own(
    session: Session,
    model: type[Item],
    *,
    principal: Principal,
    engine: MatchEngine,
    data: OfferCreate | RequestCreate,
) -> Item:
    """Create a record for the caller's institution; on an error nothing of it stays in the session."""
    own_institution(session, principal=principal)
    with session.begin_nested():
        return knowledge.create_item(session, model, principal=principal, data=data, encoder=engine.encoder)


def update_own(
    session: Session,
    model: type[Item],
    *,
    principal: Principal,
    engine: MatchEngine,
    item_id: int,
    data: OfferUpdate | RequestUpdate,
) -> Item:
    """Update one of the caller's records; a stale version or a bad value changes nothing.

    Raises:
        StaleVersion: someone changed the record since the form was read.
        InvalidInput: a value the service refuses.
    """
    get_own(session, model, principal=principal, item_id=item_id)
    with session.begin_nested():  # a refusal after some fields were set rolls them back
        return knowledge.update_item(
            session, model, principal=principal, item_id=item_id, data=data, encoder=engine.encoder
        )


def record_page(
    session: Session, model: type[Item], *, engine: MatchEngine, principal: Principal, item_id: int
) -> RecordPage:
    """The record and its ranked matches: offers for an open request (stored as proposals, as the staff
    page does), open requests for a published offer; drafts and closed records are not ranked."""
    item = get_own(session, model, principal=principal, item_id=item_id)
    institution = session.get_one(Institution, item.institution_id)
    if isinstance(item, KnowledgeRequest):
        ranking = matching.matches_for_request(
            session, engine=engine, principal=principal, request_id=item.id, limit=RANKED_LIMIT, profile=None
        )
        counterparts = _offer_counterparts(session, principal, ranking)
    elif item.status == "published":
        ranking = matching.requests_for_offer(
            session, engine=engine, principal=principal, offer_id=item.id, limit=RANKED_LIMIT, profile=None
        )
        counterparts = _request_counterparts(session, principal, ranking)
    else:
        return RecordPage(item=item, institution=institution, ranking=None, counterparts=[])
    return RecordPage(item=item, institution=institution, ranking=ranking, counterparts=counterparts)


def _offer_counterparts(session: Session, principal: Principal, ranking: RankedList) -> list[Counterpart]:
    found = workspace_repo.offers_by_id(session, ids=[i.offer_id for i in ranking.items if i.offer_id])
    own = _own_signals(session, principal, ranking)
    return [
        Counterpart(
            item=i,
            title=found[i.offer_id][0].title,
            record_id=i.offer_id,
            institution=found[i.offer_id][1],
            country=found[i.offer_id][0].country,
            signal=own.get(i.id) if i.id else None,
        )
        for i in ranking.items
        if i.offer_id in found
    ]


def _request_counterparts(session: Session, principal: Principal, ranking: RankedList) -> list[Counterpart]:
    found = workspace_repo.requests_by_id(session, ids=[i.request_id for i in ranking.items if i.request_id])
    own = _own_signals(session, principal, ranking)
    return [
        Counterpart(
            item=i,
            title=found[i.request_id][0].title,
            record_id=i.request_id,
            institution=found[i.request_id][1],
            country=found[i.request_id][0].country,
            signal=own.get(i.id) if i.id else None,
        )
        for i in ranking.items
        if i.request_id in found
    ]


def _own_signals(session: Session, principal: Principal, ranking: RankedList) -> dict[int, MatchSignal]:
    ids = [i.id for i in ranking.items if i.id is not None]
    return signals.latest_of_institution(session, principal=principal, match_ids=ids)
