"""Scoring profiles: named, stored factor weights; one of them is the default."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broker.errors import Conflict, NotFound
from broker.matching import DEFAULT_TRACK_RECORD_WEIGHT
from broker.models import Role, ScoringProfile
from broker.schemas.profile import ProfilePut
from broker.services import audit
from broker.services.principal import Principal
from broker.services.writes import check_version, flush


def profile_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """A stored profile's weights for scoring: a profile saved before the track record existed (no
    ``track_record`` key) gets the default track-record weight, relative to its six others' total;
    an explicit 0 turns the factor off."""
    found = dict(weights)
    if "track_record" not in found:
        six = sum(float(v) for v in found.values())
        found["track_record"] = DEFAULT_TRACK_RECORD_WEIGHT * six
    return found


def list_profiles(session: Session) -> list[ScoringProfile]:
    return list(session.scalars(select(ScoringProfile).order_by(ScoringProfile.name)))


def get_profile(session: Session, *, name: str | None) -> ScoringProfile:
    """The named profile, or the default one when ``name`` is None."""
    stmt = select(ScoringProfile)
    stmt = (
        stmt.where(ScoringProfile.name == name) if name else stmt.where(ScoringProfile.is_default.is_(True))
    )
    profile = session.scalar(stmt)
    if profile is None:
        raise NotFound(f"scoring profile {name!r} not found" if name else "no default scoring profile")
    return profile


def put_profile(session: Session, *, principal: Principal, name: str, data: ProfilePut) -> ScoringProfile:
    """Create or replace a profile (staff, admin)."""
    principal.require(Role.staff, Role.admin)
    profile = session.scalar(select(ScoringProfile).where(ScoringProfile.name == name))
    if profile is None:
        profile = ScoringProfile(name=name, weights={}, is_default=False)
        session.add(profile)
    elif data.version is None:
        raise Conflict(
            f"scoring profile {name} exists (version {profile.version}): "
            "send the version you read to replace it"
        )
    else:
        check_version(profile, data.version, what=f"scoring profile {name}")
    profile.weights = data.weights.normalised()
    profile.description = data.description
    if data.is_default and not profile.is_default:
        session.execute(
            update(ScoringProfile).values(is_default=False),
            execution_options={"synchronize_session": "fetch"},
        )
        profile.is_default = True
    flush(session, what=f"scoring profile {name}")
    detail = {"weights": profile.weights, "is_default": profile.is_default, "version": profile.version}
    audit.record(
        session, event="profile.changed", principal=principal, subject=f"profile {name}", detail=detail
    )
    return profile


def save_learned_profile(
    session: Session,
    *,
    name: str,
    weights: dict[str, float],
    description: str,
    principal: Principal | None = None,
) -> ScoringProfile:
    """Store a profile produced by ``broker learn`` (never made the default automatically)."""
    profile = session.scalar(select(ScoringProfile).where(ScoringProfile.name == name))
    if profile is None:
        profile = ScoringProfile(name=name, weights=weights, description=description, is_default=False)
        session.add(profile)
    else:
        profile.weights, profile.description = weights, description
    flush(session, what=f"scoring profile {name}")
    detail = {"weights": weights, "learned": True, "version": profile.version}
    audit.record(
        session, event="profile.changed", principal=principal, subject=f"profile {name}", detail=detail
    )
    return profile
