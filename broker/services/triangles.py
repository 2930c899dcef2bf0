"""Triangular matching as a service: rank the funding windows that could finance ranked pairs.

Three questions, one rule set (``broker.planning.triangles``):

* a request's side: its freshly ranked offers x the open windows;
* an offer's side: its freshly ranked requests x the open windows;
* a funder's side: the proposed matches of open requests (their stored ranked lists) that fall in
  one window.

The rules need, for each pair, where both sides are (country, M49 regions, income level), the
pair's sectors, the modality and cost the ranking estimated, and the day the exchange would start:
the request's ``timeframe_start``, or today when it has none or it has passed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.errors import Forbidden
from broker.i18n import DEFAULT_LOCALE, render_reasons
from broker.matching import Weights
from broker.models import (
    FundingWindow,
    FundingWindowStatus,
    Institution,
    KnowledgeRequest,
    Match,
    Offer,
    OfferStatus,
    RequestStatus,
    Role,
)
from broker.planning.triangles import Eligibility, Pair, Side, Triple, Window, rank_triples
from broker.ranking.codebook import demand_row
from broker.ranking.engine import Explained, MatchEngine
from broker.ranking.service import parties
from broker.reference import get_reference
from broker.repositories import funding as funding_repo
from broker.schemas.ranking import ReasonDetail
from broker.schemas.triangle import TriangleItem, TriangleList, WindowSummary
from broker.services import funding, knowledge, profiles
from broker.services.principal import Principal

DEFAULT_OFFERS = 10


def side_of(country: str | None) -> Side:
    """Where a country is, as the rules read it: its M49 region codes (every level) and income."""
    found = get_reference().country(country) if country else None
    if found is None:
        return Side(country)
    levels = (found.region, found.sub_region, found.intermediate_region)
    return Side(country, frozenset(r.code for r in levels if r is not None), found.income_level)


def sector_sets(codes: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
    ref = get_reference()
    groups = frozenset(g.code for c in codes if (g := ref.sector_group(c)))
    return frozenset(codes), groups


def start_day(request: KnowledgeRequest, today: date) -> date:
    start = request.timeframe_start
    return start if start is not None and start > today else today


@dataclass
class Windows:
    """The open windows as rule terms, with what the pages show of them."""

    terms: list[Window]
    summaries: dict[int, WindowSummary]

    @classmethod
    def load(
        cls, session: Session, *, engine: MatchEngine, only: Sequence[FundingWindow] | None = None
    ) -> Windows:
        rows = list(only) if only is not None else open_windows(session)
        summaries = window_summaries(session, rows)
        terms = [
            Window(
                id=w.id,
                funder_id=w.institution_id,
                receiving=Eligibility(
                    frozenset(w.receiving_countries),
                    frozenset(w.receiving_regions),
                    frozenset(w.receiving_income_levels),
                ),
                providing=Eligibility(
                    frozenset(w.providing_countries),
                    frozenset(w.providing_regions),
                    frozenset(w.providing_income_levels),
                ),
                sectors=frozenset(w.sectors),
                modalities=frozenset(w.modalities),
                max_per_exchange_usd=w.max_per_exchange_usd,
                remaining_usd=summaries[w.id].remaining_usd,
                cofinancing_share=w.cofinancing_share,
                opens_on=w.opens_on,
                closes_on=w.closes_on,
                mandate_vector=funding.window_mandate_vector(session, w, engine),
            )
            for w in rows
        ]
        return cls(terms, summaries)


def window_summaries(session: Session, rows: Sequence[FundingWindow]) -> dict[int, WindowSummary]:
    """What the pages show of each window, with what is left of its envelope (one query)."""
    committed = funding_repo.committed_usd(session, window_ids=[w.id for w in rows])
    ids = {w.institution_id for w in rows}
    names = dict(
        session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(ids))).all()
    )
    return {
        w.id: WindowSummary(
            id=w.id,
            title=w.title,
            institution_id=w.institution_id,
            institution_name=names.get(w.institution_id, ""),
            max_per_exchange_usd=w.max_per_exchange_usd,
            remaining_usd=w.envelope_usd - committed[w.id],
            cofinancing_share=w.cofinancing_share,
        )
        for w in rows
    }


def open_windows(session: Session) -> list[FundingWindow]:
    stmt = select(FundingWindow).where(FundingWindow.status == FundingWindowStatus.open)
    return list(session.scalars(stmt.order_by(FundingWindow.id)))


def make_pair(
    *,
    request: KnowledgeRequest,
    offer_id: int,
    offer_country: str | None,
    offer_sectors: Sequence[str],
    score: float,
    modality: str,
    cost_usd: float,
    today: date,
    request_vector: NDArray[np.float32] | None,
) -> Pair:
    """A ranked (request, offer) pair as the rules read it; its sectors are the request's (the
    offer's when the request names none)."""
    codes, groups = sector_sets(list(request.sectors) or list(offer_sectors))
    return Pair(
        request_id=request.id,
        offer_id=offer_id,
        score=score,
        receiving=side_of(request.country),
        providing=side_of(offer_country),
        sector_codes=codes,
        sector_groups=groups,
        modality=modality,
        cost_usd=cost_usd,
        starts_on=start_day(request, today),
        request_vector=request_vector,
    )


def pair_of(
    engine: MatchEngine,
    e: Explained,
    *,
    request: KnowledgeRequest,
    offer: Offer,
    today: date,
    request_vector: NDArray[np.float32] | None,
) -> Pair:
    """The pair of a fresh ranking (either side's): its score, and the modality and cost it estimated."""
    return make_pair(
        request=request,
        offer_id=offer.id,
        offer_country=offer.country,
        offer_sectors=offer.sectors,
        score=float(e.match.score),
        modality=engine.book.modality_codes[e.cost.modality],
        cost_usd=float(e.cost.total_usd),
        today=today,
        request_vector=request_vector,
    )


def mandate_bounds(engine: MatchEngine) -> dict[str, float]:
    """The cosine range mapped to [0, 1] for the mandate: the semantic factor's, for the same model."""
    return {"mandate_low": engine.params.semantic_low, "mandate_high": engine.params.semantic_high}


def for_request(
    session: Session,
    *,
    engine: MatchEngine,
    principal: Principal,
    request_id: int,
    offers: int = DEFAULT_OFFERS,
    limit: int = 20,
    profile: str | None = None,
) -> TriangleList:
    """(offer, window) pairs for one request: its best offers x the open windows, best first."""
    request = knowledge.get_item(session, KnowledgeRequest, principal=principal, item_id=request_id)
    _require_own_or_reviewer(principal, request.institution_id)
    chosen = profiles.get_profile(session, name=profile)
    engine.sync(session)
    institution = session.get_one(Institution, request.institution_id)
    vector = engine.item_vector(session, request)
    ranked = engine.rank_offers(
        demand_row(engine.book, request, institution),
        vector,
        weights=Weights.from_mapping(profiles.profile_weights(chosen.weights)),
        limit=offers,
        per_institution=None,
        now=time.time(),
    )
    today = datetime.now(UTC).date()
    rows = _offers(session, [e.match.id for e in ranked])
    pairs = [
        pair_of(engine, e, request=request, offer=rows[e.match.id], today=today, request_vector=vector)
        for e in ranked
        if e.match.id in rows
    ]
    windows = Windows.load(session, engine=engine)
    triples = rank_triples(pairs, windows.terms, **mandate_bounds(engine), limit=limit)
    return _list(session, triples, windows, considered=len(pairs), profile=chosen.name)


def for_offer(
    session: Session,
    *,
    engine: MatchEngine,
    principal: Principal,
    offer_id: int,
    requests: int = DEFAULT_OFFERS,
    limit: int = 20,
    profile: str | None = None,
) -> TriangleList:
    """(request, window) pairs for one offer: the open requests it serves best x the open windows."""
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
        limit=requests,
        per_institution=None,
        now=time.time(),
    )
    today = datetime.now(UTC).date()
    found = {
        r.id: r
        for r in session.scalars(
            select(KnowledgeRequest).where(KnowledgeRequest.id.in_([e.match.id for e in ranked]))
        )
    }
    pairs = []
    for e in ranked:
        request = found.get(e.match.id)
        if request is None:
            continue
        vector = engine.item_vector(session, request)
        pairs.append(pair_of(engine, e, request=request, offer=offer, today=today, request_vector=vector))
    windows = Windows.load(session, engine=engine)
    triples = rank_triples(pairs, windows.terms, **mandate_bounds(engine), limit=limit)
    return _list(session, triples, windows, considered=len(pairs), profile=chosen.name)


def for_window(
    session: Session, *, engine: MatchEngine, principal: Principal, window_id: int, limit: int = 50
) -> TriangleList:
    """The fundable pairs that fall in one window: proposed matches of open requests with published
    offers (their stored ranked lists), scored as the request side would see them."""
    window = funding.get_window(session, principal=principal, window_id=window_id)
    if principal.role == Role.institution and principal.institution_id != window.institution_id:
        raise Forbidden("an institution key may only ask which pairs fall in its own windows")
    stmt = (
        select(Match, KnowledgeRequest, Offer)
        .join(KnowledgeRequest, KnowledgeRequest.id == Match.request_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(
            Match.rank.is_not(None),
            KnowledgeRequest.status == RequestStatus.open,
            Offer.status == OfferStatus.published,
        )
        .order_by(Match.score.desc(), Match.id)
    )
    today = datetime.now(UTC).date()
    pairs = []
    for match, request, offer in session.execute(stmt):
        pairs.append(
            make_pair(
                request=request,
                offer_id=offer.id,
                offer_country=offer.country,
                offer_sectors=offer.sectors,
                score=float(match.score),
                modality=_stored_modality(match, offer),
                cost_usd=float(match.estimated_cost_usd or 0.0),
                today=today,
                request_vector=engine.item_vector(session, request),
            )
        )
    windows = Windows.load(session, engine=engine, only=[window])
    triples = rank_triples(pairs, windows.terms, **mandate_bounds(engine), limit=limit)
    return _list(session, triples, windows, considered=len(pairs), profile=None)


def _stored_modality(match: Match, offer: Offer) -> str:
    """The modality a stored match's cost assumed (its reasons say), else the offer's first."""
    for reason in match.reasons_detail or []:
        params = reason.get("params", {}) if isinstance(reason, dict) else {}
        modality = params.get("modality")
        if reason.get("code", "").startswith("modality.") and isinstance(modality, str):
            return modality
    return offer.modalities[0] if offer.modalities else ""


def _offers(session: Session, ids: list[int]) -> dict[int, Offer]:
    return {o.id: o for o in session.scalars(select(Offer).where(Offer.id.in_(ids)))}


def _require_own_or_reviewer(principal: Principal, institution_id: int) -> None:
    if principal.role == Role.institution and principal.institution_id != institution_id:
        raise Forbidden("an institution key may only ask about its own requests and offers")


def _list(
    session: Session, triples: list[Triple], windows: Windows, *, considered: int, profile: str | None
) -> TriangleList:
    requests = parties(session, KnowledgeRequest, [t.pair.request_id for t in triples])
    offers = parties(session, Offer, [t.pair.offer_id for t in triples])
    items = [
        TriangleItem(
            rank=n,
            score=round(t.score, 4),
            pair_score=round(t.pair.score, 4),
            window_fit=round(t.window_fit, 4),
            sector_fit=t.sector_fit,
            mandate_fit=round(t.mandate_fit, 4),
            cost_usd=round(t.pair.cost_usd, 2),
            needed_usd=round(t.needed_usd, 2),
            modality=t.pair.modality,
            request=requests[t.pair.request_id],
            offer=offers[t.pair.offer_id],
            window=windows.summaries[t.window.id],
            reasons=[r.text for r in rendered],
            reasons_detail=[ReasonDetail(code=r.code, params=r.params, text=r.text) for r in rendered],
        )
        for n, t in enumerate(triples, 1)
        for rendered in [render_reasons(t.reasons, DEFAULT_LOCALE)]
    ]
    return TriangleList(
        items=items, pairs_considered=considered, windows_considered=len(windows.terms), profile=profile
    )
