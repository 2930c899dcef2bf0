"""Staff decisions on proposed matches: every decision is appended to the match's history."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from broker.errors import NotFound
from broker.models import KnowledgeRequest, Match, MatchReview, Offer, Role
from broker.repositories import signals as signal_repo
from broker.repositories.knowledge import is_visible
from broker.schemas.match import MatchRead, ReviewCreate, ReviewRead
from broker.schemas.signal import SignalRead
from broker.services import audit
from broker.services.principal import Principal
from broker.services.writes import check_version, flush


def get_match(session: Session, *, principal: Principal, match_id: int, lock: bool = False) -> Match:
    """Staff, brokers and admins see every match; an institution only those on its own records whose
    request and offer it may both still read (a pair whose other side went back to draft is gone).

    ``lock`` takes the row for this transaction (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
    write transactions are serial already).
    """
    match = session.get(Match, match_id, with_for_update=lock)
    if match is None or not _may_read(session, principal, match):
        raise NotFound(f"match {match_id} not found")
    return match


def review_match(session: Session, *, principal: Principal, match_id: int, data: ReviewCreate) -> Match:
    principal.require(Role.staff, Role.admin)
    # Decisions on one match queue up on its row rather than fail each other's version check: only a
    # caller who names a version it saw may get 409.
    match = get_match(session, principal=principal, match_id=match_id, lock=True)
    if data.version is not None:
        check_version(match, data.version, what=f"match {match_id}")
    match.status = data.status.value
    # A decision changes the match even when the status stays: its version must move, so that a
    # reviewer who names the version they saw cannot miss a decision taken meanwhile.
    flag_modified(match, "status")
    review = MatchReview(
        match_id=match.id,
        status=data.status.value,
        note=data.note,
        note_for_institutions=data.note_for_institutions,
        reviewer_key_id=principal.key_id,
        reviewer_name=principal.name,
        score_at_review=match.score,
        components_at_review=dict(match.components),
    )
    session.add(review)
    match.reviews.append(review)
    flush(session, what=f"match {match_id}")
    detail = {"status": data.status.value, "request_id": match.request_id, "offer_id": match.offer_id}
    audit.record(
        session, event="review.decided", principal=principal, subject=f"match {match_id}", detail=detail
    )
    return match


def match_view(match: Match, *, principal: Principal) -> MatchRead:
    """The match as ``principal`` may see it: institutions get no staff notes and no reviewer identities,
    and of the institutions' signals only their own."""
    view = MatchRead.model_validate(match)
    view.signals = [
        SignalRead.model_validate(s) for s in signal_repo.readable(match.signals, principal=principal)
    ]
    if principal.role == Role.institution:
        view.reviews = [_review_for_institutions(r) for r in view.reviews]
    return view


def _review_for_institutions(review: ReviewRead) -> ReviewRead:
    return review.model_copy(update={"note": None, "reviewer_name": None, "reviewer_key_id": None})


def _may_read(session: Session, principal: Principal, match: Match) -> bool:
    if principal.role != Role.institution:
        return True
    request = session.get(KnowledgeRequest, match.request_id)
    offer = session.get(Offer, match.offer_id)
    if request is None or offer is None:
        return False
    owns = principal.institution_id in (request.institution_id, offer.institution_id)
    return owns and is_visible(request, principal) and is_visible(offer, principal)
