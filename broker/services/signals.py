"""Institutions say whether a proposed match interests them: a signal staff see and learning may use.

Each side of a pair speaks for itself: the requesting institution on its request's matches, the
offering institution on the matches of its offers. Signals are appended, never changed; the
latest per (match, institution) is the one shown.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from broker.errors import Forbidden
from broker.models import KnowledgeRequest, Match, MatchSide, MatchSignal, Offer, Role
from broker.repositories import signals as repo
from broker.schemas.signal import SignalPut
from broker.services import audit
from broker.services.principal import Principal
from broker.services.reviews import get_match
from broker.services.writes import flush


def side_of(session: Session, *, principal: Principal, match: Match) -> MatchSide:
    """The side of ``match`` that ``principal``'s institution is on.

    Raises:
        Forbidden: the caller is not an institution of the pair.
    """
    if principal.role == Role.institution and principal.institution_id is not None:
        request = session.get_one(KnowledgeRequest, match.request_id)
        if request.institution_id == principal.institution_id:
            return MatchSide.requester
        offer = session.get_one(Offer, match.offer_id)
        if offer.institution_id == principal.institution_id:
            return MatchSide.offerer
    raise Forbidden("only the institutions of a pair signal on its match, each for its own side")


def record_signal(session: Session, *, principal: Principal, match_id: int, data: SignalPut) -> MatchSignal:
    """Store the caller's signal on a match it may read; repeating the latest one stores nothing.

    Raises:
        NotFound: no such match, or one the caller may not read.
        Forbidden: the caller is not an institution key.
    """
    principal.require(Role.institution)
    match = get_match(session, principal=principal, match_id=match_id, lock=True)
    side = side_of(session, principal=principal, match=match)
    assert principal.institution_id is not None  # side_of checked it
    note = (data.note or "").strip() or None
    latest = repo.latest_for_institution(
        session, institution_id=principal.institution_id, match_ids=[match.id]
    ).get(match.id)
    if latest is not None and latest.signal == data.signal.value and latest.note == note:
        return latest
    signal = repo.add(
        session,
        MatchSignal(
            match_id=match.id,
            institution_id=principal.institution_id,
            side=side.value,
            signal=data.signal.value,
            note=note,
            actor_key_id=principal.key_id or None,
            actor_name=principal.name,
        ),
    )
    flush(session, what=f"signal on match {match_id}")
    session.expire(match, ["signals"])  # the relationship reloads with the new row
    detail = {"signal": data.signal.value, "side": side.value}
    audit.record(
        session, event="match.signalled", principal=principal, subject=f"match {match_id}", detail=detail
    )
    return signal


def latest_of_institution(
    session: Session, *, principal: Principal, match_ids: list[int]
) -> dict[int, MatchSignal]:
    """The caller's own latest signal on each of ``match_ids`` (institution keys; empty for others)."""
    if principal.role != Role.institution or principal.institution_id is None:
        return {}
    return repo.latest_for_institution(session, institution_id=principal.institution_id, match_ids=match_ids)
