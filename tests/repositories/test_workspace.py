"""The workspace queries: sector filters that agree with the gap map, sorting with empty values last."""

from __future__ import annotations

from sqlalchemy.orm import Session

from broker.models import RequestAssignment
from broker.repositories import workspace as repo
from tests.factories import make_caller, make_institution, make_offer, make_request

CONFIDENT = {
    "sectors": [{"code": "11220", "name": "Primary education", "confidence": 0.8, "confident": True}]
}
UNSURE = {"sectors": [{"code": "11220", "name": "Primary education", "confidence": 0.2, "confident": False}]}


def _titles(rows: list[repo.RequestSummary]) -> list[str]:
    return [r.request.title for r in rows]


def test_the_sector_filter_uses_confident_suggestions_only_when_the_author_gave_no_sectors(
    session: Session,
) -> None:
    make_request(session, title="given", sectors=["11220"])
    make_request(session, title="guessed", sectors=[], suggested=CONFIDENT)
    make_request(session, title="unsure", sectors=[], suggested=UNSURE)
    make_request(session, title="own codes win", sectors=["12220"], suggested=CONFIDENT)
    make_request(session, title="no codes at all", sectors=[], suggested={})
    filters = repo.RequestFilters(status="open", sectors=("11220", "11230"))
    rows, total = repo.list_requests(session, filters=filters, sort=repo.Sort("title"), limit=10, offset=0)
    assert _titles(rows) == ["given", "guessed"] and total == 2


def test_offers_filter_by_modality_language_and_institution(session: Session) -> None:
    brazil = make_institution(session, name="Brazil", country="BRA", languages=["pt"])
    make_offer(session, brazil, title="a", modalities=["study_tour"], languages=["pt"])
    make_offer(session, brazil, title="b", modalities=["expert_visit"], languages=["pt", "es"])
    make_offer(session, title="c", modalities=["study_tour"], languages=["en"])

    def titles(**kw: object) -> list[str]:
        filters = repo.OfferFilters(**kw)  # type: ignore[arg-type]
        rows, _ = repo.list_offers(session, filters=filters, sort=repo.Sort("title"), limit=10, offset=0)
        return [r.offer.title for r in rows]

    assert titles(modality="study_tour") == ["a", "c"]
    assert titles(language="es") == ["b"]
    assert titles(institution_id=brazil.id) == ["a", "b"]
    assert titles(modality="study_tour", language="pt") == ["a"]


def test_sorting_puts_empty_values_last_in_both_directions_and_pages_follow_the_order(
    session: Session,
) -> None:
    for title, cost in (("cheap", 1000.0), ("none", None), ("dear", 9000.0), ("mid", 5000.0)):
        make_offer(session, title=title, cost_usd=cost)

    def titles(sort: repo.Sort, offset: int = 0, limit: int = 10) -> list[str]:
        rows, total = repo.list_offers(
            session, filters=repo.OfferFilters(), sort=sort, limit=limit, offset=offset
        )
        assert total == 4
        return [r.offer.title for r in rows]

    assert titles(repo.Sort("cost")) == ["cheap", "mid", "dear", "none"]
    assert titles(repo.Sort("cost", descending=True)) == ["dear", "mid", "cheap", "none"]
    assert titles(repo.Sort("cost"), offset=2, limit=2) == ["dear", "none"]


def test_requests_filter_by_assignee_and_status_with_unassigned_as_new(session: Session) -> None:
    staff = make_caller(session, "staff")
    mine = make_request(session, title="mine")
    make_request(session, title="nobody's")
    closed = make_request(session, title="closed one")
    session.add_all(
        [
            RequestAssignment(
                request_id=mine.id, assignee_key_id=staff.key_id, assignee_name="S", status="in_review"
            ),
            RequestAssignment(request_id=closed.id, status="closed"),
        ]
    )
    session.flush()

    def titles(**kw: object) -> list[str]:
        filters = repo.RequestFilters(status="open", **kw)  # type: ignore[arg-type]
        rows, _ = repo.list_requests(session, filters=filters, sort=repo.Sort("title"), limit=10, offset=0)
        return _titles(rows)

    assert titles(assignee_key_id=staff.key_id) == ["mine"]
    assert titles(assignee_key_id=repo.UNASSIGNED) == ["closed one", "nobody's"]
    assert titles(assignment_status="new") == ["nobody's"]
    assert titles(assignment_status="closed") == ["closed one"]
    assert titles(assignment_status="in_review", assignee_key_id=staff.key_id) == ["mine"]
