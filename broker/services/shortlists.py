"""A request's shortlist as staff hand it on: a CSV, a printable brief, and a side-by-side comparison.

All three read the stored matches (what reviewers decided on), never re-rank: exporting twice gives
the same file until someone decides again or the request is ranked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from broker.errors import InvalidInput
from broker.matching import FACTORS
from broker.models import Institution, KnowledgeRequest, Match, MatchReview, Offer
from broker.reference import get_reference
from broker.repositories import workspace as repo
from broker.services import knowledge
from broker.services.bulk.formats import Format, dump
from broker.services.principal import Principal
from broker.services.ui_sessions import WORKSPACE_ROLES

MIN_COMPARED = 2
MAX_COMPARED = 3
CSV_COLUMNS = [
    "request_id",
    "request",
    "rank",
    "score",
    "fit",
    "offer_id",
    "offer_title",
    "institution",
    "country",
    "modalities",
    "estimated_cost_usd",
    "reasons",
    "reviewer_note",
]


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored match of the request with its offer, as the shortlist, brief and comparison show it."""

    match: Match
    offer: Offer
    institution: Institution

    @property
    def decision(self) -> MatchReview | None:
        """The decision that gave the match its current status (the latest one)."""
        return self.match.reviews[-1] if self.match.reviews else None

    @property
    def reviewer_note(self) -> str | None:
        return self.decision.note if self.decision else None

    @property
    def note_for_institutions(self) -> str | None:
        return self.decision.note_for_institutions if self.decision else None


@dataclass(frozen=True, slots=True)
class Shortlist:
    request: KnowledgeRequest
    institution: Institution
    entries: list[Entry]
    factors: tuple[str, ...] = FACTORS


def shortlist(session: Session, *, principal: Principal, request_id: int) -> Shortlist:
    """The request's shortlisted matches, best ranked first (staff, broker, admin)."""
    principal.require(*WORKSPACE_ROLES)
    request = knowledge.get_item(session, KnowledgeRequest, principal=principal, item_id=request_id)
    rows = repo.shortlisted_matches(session, request_id=request.id)
    entries = [Entry(match=m, offer=o, institution=i) for m, o, i in rows]
    return Shortlist(
        request=request, institution=session.get_one(Institution, request.institution_id), entries=entries
    )


def shortlist_csv(found: Shortlist) -> str:
    """UTF-8 CSV (with a byte-order mark, so spreadsheets read accents right) in ``CSV_COLUMNS``.

    Cells a spreadsheet would run as formulas are quoted (``broker.services.bulk.formats``).
    """
    ref = get_reference()
    records = []
    for e in found.entries:
        country = ref.country(e.offer.country)
        records.append(
            {
                "request_id": found.request.id,
                "request": found.request.title,
                "rank": e.match.rank,
                "score": f"{e.match.score:.3f}",
                "fit": e.match.fit,
                "offer_id": e.offer.id,
                "offer_title": e.offer.title,
                "institution": e.institution.name,
                "country": country.name if country else e.offer.country,
                "modalities": "; ".join(_modality_name(code) for code in e.offer.modalities),
                "estimated_cost_usd": (
                    None if e.match.estimated_cost_usd is None else round(e.match.estimated_cost_usd)
                ),
                "reasons": "; ".join(e.match.reasons),
                "reviewer_note": e.reviewer_note,
            }
        )
    return "\ufeff" + dump(records, Format.csv, CSV_COLUMNS)


def compare(
    session: Session, *, principal: Principal, request_id: int, offer_ids: Sequence[int]
) -> Shortlist:
    """Two or three offers matched to the request, in the order asked, for a side-by-side view.

    Raises:
        InvalidInput: Fewer than two or more than three offers, one named twice, or an offer that
            has no stored match with this request.
    """
    principal.require(*WORKSPACE_ROLES)
    request = knowledge.get_item(session, KnowledgeRequest, principal=principal, item_id=request_id)
    if len(set(offer_ids)) != len(offer_ids):
        raise InvalidInput("each offer can be compared only once")
    if not MIN_COMPARED <= len(offer_ids) <= MAX_COMPARED:
        raise InvalidInput(
            f"choose {MIN_COMPARED} or {MAX_COMPARED} offers to compare (you chose {len(offer_ids)})"
        )
    found = repo.matches_of_offers(session, request_id=request.id, offer_ids=offer_ids)
    missing = [str(i) for i in offer_ids if i not in found]
    if missing:
        raise InvalidInput(
            f"offer {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not matched to "
            f"request {request.id}: only offers ranked for this request can be compared"
        )
    entries = [Entry(match=found[i][0], offer=found[i][1], institution=found[i][2]) for i in offer_ids]
    return Shortlist(
        request=request, institution=session.get_one(Institution, request.institution_id), entries=entries
    )


def parse_offer_ids(values: Sequence[str]) -> list[int]:
    """Offer ids from ``?offers=1,2`` or ``?offers=1&offers=2`` (both may mix)."""
    ids = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or not 0 < int(part) < 2**31:
                raise InvalidInput(f"{part!r} is not an offer id")
            ids.append(int(part))
    return ids


def _modality_name(code: str) -> str:
    found = get_reference().modality(code)
    return found.name if found else code
