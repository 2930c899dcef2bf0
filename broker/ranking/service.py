"""Ranked match lists: rank, explain, and persist proposals while keeping every review."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from broker.db import begin_writing
from broker.errors import Forbidden, InvalidInput
from broker.i18n import DEFAULT_LOCALE, RenderedReason, stored_reasons
from broker.matching import GOOD_FITS, Fit, Weights
from broker.models import Institution, KnowledgeRequest, Match, Offer, RequestStatus, Role
from broker.ranking.codebook import demand_row
from broker.ranking.embedding import embedding_text
from broker.ranking.engine import Explained, MatchEngine
from broker.repositories import knowledge as knowledge_repo
from broker.repositories import matches as repo
from broker.schemas.ranking import (
    CostBreakdownRead,
    ExploreRequest,
    PartySummary,
    RankedItem,
    RankedList,
    ReasonDetail,
)
from broker.services import knowledge, profiles
from broker.services.language import detect_language
from broker.services.principal import Principal
from broker.services.understanding import stored_suggestions

PER_INSTITUTION = 2
# What a stored ranked match must equal for a fresh ranking to count as unchanged.
STORED_FIELDS = (
    "profile",
    "score",
    "rank",
    "components",
    "contributions",
    "estimated_cost_usd",
    "reasons",
    "reasons_detail",
    "fit",
)


def matches_for_request(
    session: Session,
    *,
    engine: MatchEngine,
    principal: Principal,
    request_id: int,
    limit: int,
    profile: str | None,
    per_institution: int = PER_INSTITUTION,
) -> RankedList:
    """Rank published offers for a stored request and keep them as proposed matches.

    The ranked list is stored only when it differs from the stored one (new scores, ranks, reasons
    or fits after a change to the request, the catalogue or the profile), so reading an unchanged
    list writes nothing. Statuses and review history are never touched. A request that is no longer
    open shows its stored matches as they were last computed.
    """
    request = knowledge.get_item(session, KnowledgeRequest, principal=principal, item_id=request_id)
    _require_own_or_reviewer(principal, request.institution_id)
    chosen = profiles.get_profile(session, name=profile)
    if request.status != RequestStatus.open.value:
        kept = repo.matches_for_request(session, principal=principal, request_id=request.id, limit=limit)
        return ranked_list([_stored_item(m) for m in kept], engine, chosen.name, recomputed=False)
    engine.sync(session)
    institution = session.get_one(Institution, request.institution_id)
    now = time.time()

    def rank() -> list[Explained]:
        return engine.rank_offers(
            demand_row(engine.book, request, institution),
            engine.item_vector(session, request),
            weights=Weights.from_mapping(profiles.profile_weights(chosen.weights)),
            limit=limit,
            per_institution=per_institution,
            now=now,
        )

    # Everything the list depends on; the minute bounds how long an offer that expired is still listed.
    key = (request.id, request.change_seq, institution.version, engine.generation, chosen.id, chosen.version,
           limit, per_institution, int(now // 60))  # fmt: skip
    ranked = engine.remembered(key, rank)
    rows = [match_fields(e, chosen.name) for e in ranked]
    stored = repo.ranked_for_request(session, request_id=request.id)
    if not _same_list(stored, rows):
        begin_writing(session)
        repo.upsert_ranked(session, request_id=request.id, rows=rows)
        repo.unrank_others(session, request_id=request.id, keep_offer_ids=[e.match.id for e in ranked])
        stored = repo.ranked_for_request(session, request_id=request.id)
    offers = parties(session, Offer, [e.match.id for e in ranked])
    items = [
        _item(
            engine,
            e,
            request_id=request.id,
            offer_id=e.match.id,
            stored=stored.get(e.match.id),
            offer=offers.get(e.match.id),
        )
        for e in ranked
    ]
    return ranked_list(items, engine, chosen.name, recomputed=True)


def _same_list(stored: dict[int, Match], rows: list[dict[str, Any]]) -> bool:
    """Whether the stored ranked matches are exactly this list (same offers, ranks, values, reasons)."""
    if len(stored) != len(rows):
        return False
    for row in rows:
        match = stored.get(int(row["offer_id"]))
        if match is None or any(getattr(match, name) != row[name] for name in STORED_FIELDS):
            return False
    return True


def requests_for_offer(
    session: Session,
    *,
    engine: MatchEngine,
    principal: Principal,
    offer_id: int,
    limit: int,
    profile: str | None,
    per_institution: int = PER_INSTITUTION,
) -> RankedList:
    """Rank open requests an offer could serve (nothing is stored: the demand side owns its list)."""
    offer = knowledge.get_item(session, Offer, principal=principal, item_id=offer_id)
    _require_own_or_reviewer(principal, offer.institution_id)
    chosen = profiles.get_profile(session, name=profile)
    engine.sync(session)
    institution = session.get_one(Institution, offer.institution_id)
    ranked = engine.rank_requests(
        offer,
        institution,
        engine.item_vector(session, offer),
        weights=Weights.from_mapping(profiles.profile_weights(chosen.weights)),
        limit=limit,
        per_institution=per_institution,
        now=time.time(),
    )
    stored = repo.existing_for_offer(session, offer_id=offer.id, request_ids=[e.match.id for e in ranked])
    requests = parties(session, KnowledgeRequest, [e.match.id for e in ranked])
    items = [
        _item(
            engine,
            e,
            request_id=e.match.id,
            offer_id=offer.id,
            stored=stored.get(e.match.id),
            request=requests.get(e.match.id),
        )
        for e in ranked
    ]
    return ranked_list(items, engine, chosen.name, recomputed=True)


def explore(
    session: Session,
    *,
    engine: MatchEngine,
    principal: Principal,
    data: ExploreRequest,
    limit: int,
    profile: str | None,
    per_institution: int = PER_INSTITUTION,
) -> RankedList:
    """Rank offers for a request body that is not stored; nothing is written."""
    institution_id = data.institution_id
    if principal.role == Role.institution:
        institution_id = principal.institution_id
    institution = session.get(Institution, institution_id) if institution_id else None
    if institution_id and institution is None:
        msg = f"institution {institution_id} does not exist"
        raise InvalidInput([{"loc": ["body", "institution_id"], "msg": msg, "type": "value_error"}])
    chosen = profiles.get_profile(session, name=profile)
    engine.sync(session)
    now = time.time()

    def rank() -> list[Explained]:
        nonlocal data
        vector = engine.query_vector(session, embedding_text(data.title, data.description))
        if data.text_language is None and (found := detect_language(f"{data.title}\n{data.description}")):
            data = data.model_copy(update={"text_language": found[0]})
        engine.suggester.prepare(session, store=False)  # a read: missing vectors are not stored
        suggested = stored_suggestions(engine.suggester.suggest(vector), model_id=engine.encoder.model_id)
        return engine.rank_offers(
            demand_row(engine.book, data, institution, suggested),
            vector,
            weights=Weights.from_mapping(profiles.profile_weights(chosen.weights)),
            limit=limit,
            per_institution=per_institution,
            now=now,
        )

    # The same body (for the same institution version) against the same catalogue ranks the same.
    body = data.model_dump_json(exclude={"institution_id"})
    asker = (institution.id, institution.version) if institution else None
    key = ("explore", body, asker, engine.generation, chosen.id, chosen.version, limit, per_institution,
           int(now // 60))  # fmt: skip
    ranked = engine.remembered(key, rank)
    offers = parties(session, Offer, [e.match.id for e in ranked])
    items = [
        _item(engine, e, request_id=None, offer_id=e.match.id, stored=None, offer=offers.get(e.match.id))
        for e in ranked
    ]
    return ranked_list(items, engine, chosen.name, recomputed=True)


def ranked_list(
    items: list[RankedItem], engine: MatchEngine, profile: str, *, recomputed: bool
) -> RankedList:
    """The list with its verdict: whether any item is a good (strong or possible) fit."""
    good = [i for i in items if i.fit in GOOD_FITS]
    if good:
        strong = sum(i.fit == Fit.strong for i in good)
        summary = f"{len(good)} good match{'es' if len(good) > 1 else ''} ({strong} strong)"
    elif items:
        summary = "No good match: the closest offers are on other topics or impractical (all weak fits)"
    else:
        summary = "No good match: no candidate passed the filters"
    return RankedList(
        items=items,
        profile=profile,
        model_id=engine.encoder.model_id,
        recomputed=recomputed,
        good_match=bool(good),
        summary=summary,
    )


def _require_own_or_reviewer(principal: Principal, institution_id: int) -> None:
    if principal.role == Role.institution and principal.institution_id != institution_id:
        raise Forbidden("an institution key may only rank matches for its own requests and offers")


def match_fields(e: Explained, profile: str) -> dict[str, object]:
    m = e.match
    return {
        "offer_id": m.id,
        "profile": profile,
        "score": m.score,
        "rank": m.rank,
        "components": m.components,
        "contributions": m.contributions,
        "estimated_cost_usd": m.estimated_cost_usd,
        "reasons": [r.text for r in e.english],
        "reasons_detail": [r.as_json() for r in e.reasons],
        "fit": e.fit.value,
    }


def _cost(engine: MatchEngine, e: Explained) -> CostBreakdownRead:
    c, why = e.cost, e.modality_english
    return CostBreakdownRead(
        fixed_usd=c.fixed_usd,
        participants_usd=c.participants_usd,
        travel_usd=c.travel_usd,
        interpretation_usd=c.interpretation_usd,
        total_usd=c.total_usd,
        modality=engine.book.modality_codes[c.modality],
        why=ReasonDetail(code=why.code, params=why.params, text=why.text),
    )


def parties(
    session: Session, model: type[Offer] | type[KnowledgeRequest], ids: list[int]
) -> dict[int, PartySummary]:
    """One line about each ranked offer (or request): title, institution, country."""
    return {
        row.id: PartySummary(
            id=row.id,
            title=row.title,
            institution_id=row.institution_id,
            institution_name=row.institution_name,
            country=row.country,
        )
        for row in knowledge_repo.summaries(session, model=model, ids=ids)
    }


def _item(
    engine: MatchEngine,
    e: Explained,
    *,
    request_id: int | None,
    offer_id: int | None,
    stored: Match | None,
    offer: PartySummary | None = None,
    request: PartySummary | None = None,
) -> RankedItem:
    m = e.match
    return RankedItem(
        id=stored.id if stored else None,
        request_id=request_id,
        offer_id=offer_id,
        rank=m.rank,
        score=m.score,
        components=m.components,
        contributions=m.contributions,
        estimated_cost_usd=m.estimated_cost_usd,
        modality=engine.book.modality_codes[m.modality],
        **_reason_fields(e.english),
        status=stored.status if stored else None,
        fit=e.fit,
        relevance=m.relevance,
        cost_breakdown=_cost(engine, e),
        offer=offer,
        request=request,
    )


def _reason_fields(reasons: Sequence[RenderedReason]) -> dict[str, Any]:
    """``reasons`` and ``reasons_detail`` of a ranked item (English: the API re-renders them in the
    caller's language, see ``broker.i18n.localize_ranked``)."""
    return {
        "reasons": [r.text for r in reasons],
        "reasons_detail": [ReasonDetail(code=r.code, params=r.params, text=r.text) for r in reasons],
    }


def _stored_item(m: Match) -> RankedItem:
    return RankedItem(
        id=m.id,
        request_id=m.request_id,
        offer_id=m.offer_id,
        rank=m.rank,
        score=m.score,
        components=m.components,
        contributions=m.contributions,
        estimated_cost_usd=m.estimated_cost_usd,
        modality=None,
        **_reason_fields(stored_reasons(m.reasons_detail, m.reasons, DEFAULT_LOCALE)),
        status=m.status,
        fit=Fit(m.fit) if m.fit else None,
        relevance=None,
    )


def strong_counterparts(
    session: Session, *, engine: MatchEngine, kind: str, record_id: int, limit: int = 100
) -> list[tuple[int, float, int]]:
    """The other side's records for which a just-published offer (or open request) is a strong fit.

    Returns ``(counterpart id, score, rank)`` for the pairs the default profile labels above
    "possible", best first, at most ``limit`` of them; nothing for a record that is no longer live.
    Nothing is stored: this tells subscribers, it does not propose matches.
    """
    model: Any = Offer if kind == "offer" else KnowledgeRequest
    record = session.get(model, record_id)
    live = "published" if kind == "offer" else RequestStatus.open.value
    if record is None or record.status != live:
        return []
    chosen = profiles.get_profile(session, name=None)
    weights = Weights.from_mapping(profiles.profile_weights(chosen.weights))
    engine.sync(session)
    institution = session.get_one(Institution, record.institution_id)
    vector = engine.item_vector(session, record)
    now = time.time()
    if kind == "offer":
        ranked = engine.rank_requests(
            record, institution, vector, weights=weights, limit=limit, per_institution=None, now=now
        )
    else:
        ranked = engine.rank_offers(
            demand_row(engine.book, record, institution),
            vector,
            weights=weights,
            limit=limit,
            per_institution=None,
            now=now,
        )
    return [
        (e.match.id, float(e.match.score), rank) for rank, e in enumerate(ranked, 1) if e.fit == Fit.strong
    ]
