"""Small factories: ``make_offer(session, **overrides)`` and friends, plus keys with their headers."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from broker.models import FundingWindow, Institution, KnowledgeRequest, Offer, Role, User
from broker.services import keys, users


def make_institution(session: Session, **overrides: Any) -> Institution:
    values: dict[str, Any] = {
        "name": "Ministry of Health",
        "country": "KEN",
        "kind": "government",
        "languages": ["en", "sw"],
    }
    values.update(overrides)
    institution = Institution(**values)
    session.add(institution)
    session.flush()
    return institution


def make_offer(session: Session, institution: Institution | None = None, **overrides: Any) -> Offer:
    institution = institution or make_institution(
        session, name="Health hub", country="BRA", languages=["pt", "en"]
    )
    values: dict[str, Any] = {
        "title": "Community health worker programme",
        "description": "How we trained and deployed 10,000 CHWs.",
        "sectors": ["12220"],
        "sdgs": [3],
        "country": institution.country,
        "modalities": ["study_tour"],
        "languages": list(institution.languages),
        "status": "published",
    }
    values.update(overrides)
    offer = Offer(institution_id=institution.id, **values)
    session.add(offer)
    session.flush()
    return offer


def make_request(
    session: Session, institution: Institution | None = None, **overrides: Any
) -> KnowledgeRequest:
    institution = institution or make_institution(session)
    values: dict[str, Any] = {
        "title": "Reach rural households with primary care",
        "description": "Our rural clinics are far apart.",
        "sectors": ["12220"],
        "sdgs": [3],
        "country": institution.country,
        "modalities": ["study_tour"],
        "languages": list(institution.languages),
        "status": "open",
    }
    values.update(overrides)
    request = KnowledgeRequest(institution_id=institution.id, **values)
    session.add(request)
    session.flush()
    return request


def make_funding_window(
    session: Session, institution: Institution | None = None, **overrides: Any
) -> FundingWindow:
    institution = institution or make_institution(session, name="Triangular fund", kind="multilateral")
    values: dict[str, Any] = {
        "title": "Health exchanges in Africa",
        "mandate": "Finances peer exchanges on primary health care.",
        "sectors": ["120"],
        "receiving_regions": ["002"],
        "modalities": ["study_tour"],
        "max_per_exchange_usd": 30000.0,
        "envelope_usd": 100000.0,
        "cofinancing_share": 0.2,
        "opens_on": date(2027, 1, 1),
        "closes_on": date(2027, 12, 31),
        "status": "open",
    }
    values.update(overrides)
    window = FundingWindow(institution_id=institution.id, **values)
    session.add(window)
    session.flush()
    return window


@dataclass
class Caller:
    key_id: int
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def make_caller(session: Session, role: Role | str, institution: Institution | None = None) -> Caller:
    issued = keys.issue_key(
        session, name=f"test {role}", role=Role(role), institution_id=institution.id if institution else None
    )
    return Caller(key_id=issued.row.id, key=issued.key)


CallerFactory = Callable[..., Caller]


@pytest.fixture
def caller(session: Session) -> CallerFactory:
    """``caller("staff")`` or ``caller("institution", inst)``: a fresh key and its headers."""
    return lambda role, institution=None: make_caller(session, role, institution)


def make_hiv_catalogue(session: Session) -> dict[str, Institution | Offer | KnowledgeRequest]:
    """Kenya asks for HIV treatment; Brazil offers it, Egypt offers irrigation (a distractor)."""
    kenya = make_institution(session, name="Kenya MoH", country="KEN", languages=["en", "sw"])
    brazil = make_institution(session, name="Brazil MoH", country="BRA", languages=["pt", "en"])
    egypt = make_institution(session, name="Egypt irrigation", country="EGY", languages=["ar"])
    hiv = make_offer(
        session,
        brazil,
        title="HIV treatment scale-up with free antiretroviral therapy",
        description="Universal free antiretroviral treatment for people living with HIV.",
        sectors=["13040"],
        modalities=["study_tour", "expert_visit"],
        cost_usd=30000,
    )
    irrigation = make_offer(
        session,
        egypt,
        title="Irrigation canal management by water user associations",
        description="Farmers manage irrigation canals and water allocation.",
        sectors=["31140"],
        modalities=["study_tour"],
    )
    request = make_request(
        session,
        kenya,
        title="HIV treatment for rural patients",
        description="We need to expand HIV treatment with antiretroviral therapy.",
        sectors=["13040"],
        modalities=["study_tour"],
        budget_usd=50000,
        participants=6,
    )
    return {
        "kenya": kenya,
        "brazil": brazil,
        "egypt": egypt,
        "hiv": hiv,
        "irrigation": irrigation,
        "request": request,
    }


PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with tiny costs: the production profile takes ~1 s a hash on the shared test machine.
    (tests/services/test_users.py checks the production profile itself.)"""
    monkeypatch.setattr(users, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def make_user(
    session: Session,
    role: Role | str = "staff",
    institution: Institution | None = None,
    *,
    email: str | None = None,
    password: str | None = PASSWORD,
    **overrides: Any,
) -> User:
    """An account that has accepted its invitation (``password=None``: invited, not yet accepted)."""
    values: dict[str, Any] = {
        "email": email or f"{role}.{secrets.token_hex(4)}@example.org",
        "display_name": f"Test {role}",
        "role": Role(role).value,
        "institution_id": institution.id if institution else None,
        "password_hash": users.hash_password(password) if password else None,
    }
    values.update(overrides)
    user = User(**values)
    session.add(user)
    session.flush()
    return user
