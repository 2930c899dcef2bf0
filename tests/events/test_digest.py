"""The daily digest as text and HTML: what a digest subscription was told in a period, grouped, escaped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.events import digest
from broker.events.dispatcher import Dispatcher
from broker.models import Match, MatchReview, Role, Subscription
from broker.models.base import utcnow
from tests.events.test_delivery import pair, subscribe
from tests.factories import make_institution, make_offer, make_request

CASH = {
    "title": "Conditional cash transfers <rural>",
    "description": "Conditional cash transfers for poor rural families tied to school attendance.",
    "sectors": ["16010"],
    "modalities": ["study_tour"],
    "languages": ["en"],
}


def decide(session: Session, match: Match, note: str | None) -> None:
    session.add(
        MatchReview(match_id=match.id, status="accepted", note_for_institutions=note, reviewer_name="x")
    )
    session.flush()


def test_the_digest_groups_new_matches_and_decisions_and_escapes_html(
    session: Session, dispatcher: Dispatcher
) -> None:
    asker = make_institution(session, name="Philippines DSWD", country="PHL", languages=["en"])
    request = make_request(session, asker, **CASH)
    as_asker = Principal(key_id=None, name="DSWD", role=Role.institution, institution_id=asker.id)
    sub_id, _ = subscribe(
        session, None, principal=as_asker, channel="digest", events=["match.new", "match.reviewed"]
    )
    dispatcher.run_once()
    offer = make_offer(
        session, make_institution(session, name="Mexico & Bienestar", country="MEX", languages=["en"]), **CASH
    )
    match = Match(request_id=request.id, offer_id=offer.id, profile="default", score=0.8, rank=1)
    session.add(match)
    session.flush()
    decide(session, match, "Write to <both> of you")
    dispatcher.run_once()

    sub = session.get_one(Subscription, sub_id)
    now = utcnow() + timedelta(seconds=1)
    text = digest.render(session, subscription=sub, since=now - timedelta(hours=24), until=now)
    assert "New strong matches (1)" in text and "Review decisions (1)" in text
    assert "New offer \u201cConditional cash transfers <rural>\u201d (Mexico & Bienestar, MEX)" in text
    assert "  Note: Write to <both> of you" in text
    assert text.index("New strong matches") < text.index("Review decisions")

    html = digest.render(session, subscription=sub, since=now - timedelta(hours=24), until=now, fmt="html")
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "&lt;rural&gt;" in html and "Mexico &amp; Bienestar" in html and "&lt;both&gt;" in html
    assert "<rural>" not in html and "<both>" not in html
    assert f'/api/v1/offers/{offer.id}">' in html  # the new offer's address is a link


def test_a_period_without_alerts_says_so_and_leaves_out_other_periods(
    session: Session, dispatcher: Dispatcher
) -> None:
    match = pair(session)
    sub_id, _ = subscribe(session, None, channel="digest", events=["match.reviewed"])
    decide(session, match, None)
    dispatcher.run_once()
    sub = session.get_one(Subscription, sub_id)
    later = utcnow() + timedelta(hours=30)
    for fmt, empty in (
        ("text", "Nothing new in this period."),
        ("html", "<p>Nothing new in this period.</p>"),
    ):
        old = digest.render(
            session, subscription=sub, since=later - timedelta(hours=24), until=later, fmt=fmt
        )
        assert empty in old and "Review decisions" not in old
    now = utcnow() + timedelta(seconds=1)
    current = digest.render(session, subscription=sub, since=now - timedelta(hours=24), until=now)
    assert "Review decisions (1)" in current and "Note:" not in current
