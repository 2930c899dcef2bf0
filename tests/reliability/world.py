"""A migrated temporary database with a few rows of everything, shared by the reliability tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from broker.db import make_session_factory
from broker.models import ApiKey, Match, MatchReview, Role
from broker.services import keys
from tests.factories import make_funding_window, make_institution, make_offer, make_request

# Keys the fuzzer calls with get ids far from the small integers it likes to generate, so that
# DELETE /keys/{key_id} does not revoke them halfway through a run.
CALLER_KEY_ID = 7_000_000


@dataclass
class World:
    """Ids of the seeded rows by kind, and the secrets of the callers' keys by role."""

    ids: dict[str, list[int]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


def seed_world(engine: Engine) -> World:
    world = World()
    with make_session_factory(engine)() as session:
        a = make_institution(session, name="Ministry of Education", country="MOZ", languages=["pt"])
        b = make_institution(session, name="FNDE", country="BRA", languages=["pt", "es"])
        empty = make_institution(session, name="No records yet", country="PER", languages=["es"])
        offers = [
            make_offer(session, b, title="School feeding from family farms"),
            make_offer(session, b, title="A draft", status="draft"),
            make_offer(session, a, title="Teacher training at scale", sectors=["11130"], sdgs=[4]),
        ]
        requests = [
            make_request(session, a, title="Feed pupils from local farms", budget_usd=25_000, participants=6),
            make_request(session, a, title="A draft request", status="draft"),
            make_request(session, b, title="Digital identity", sectors=["15110"]),
        ]
        matches = [
            Match(request_id=requests[0].id, offer_id=offers[0].id, profile="default", score=0.8, rank=1),
            Match(request_id=requests[2].id, offer_id=offers[2].id, profile="default", score=0.4, rank=1),
        ]
        session.add_all(matches)
        session.flush()
        session.add(
            MatchReview(
                match_id=matches[0].id, status="shortlisted", reviewer_name="seed", score_at_review=0.8
            )
        )
        windows = [make_funding_window(session, b), make_funding_window(session, b, status="draft")]
        spare = [keys.issue_key(session, name=f"spare {i}", role=Role.staff).row.id for i in range(3)]
        for offset, (role, institution_id) in enumerate(
            [("admin", None), ("institution", a.id), ("staff", None), ("broker", None)]
        ):
            world.keys[role] = _key_with_id(session, CALLER_KEY_ID + offset, role, institution_id)
        session.commit()
        world.ids = {
            "institution": [a.id, b.id, empty.id],
            "offer": [o.id for o in offers],
            "request": [r.id for r in requests],
            "match": [m.id for m in matches],
            "window": [w.id for w in windows],
            "key": spare,
        }
    return world


def _key_with_id(session: Session, key_id: int, role: str, institution_id: int | None) -> str:
    key = keys.KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            id=key_id,
            name=f"caller {role}",
            role=role,
            institution_id=institution_id,
            prefix=key[:12],
            key_hash=keys.hash_key(key),
        )
    )
    session.flush()
    return key
