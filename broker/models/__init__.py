"""ORM models; importing this package registers every table on ``Base.metadata``."""

from broker.models.alert import (
    SUBSCRIBABLE,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Event,
    EventType,
    Subscription,
    SubscriptionStatus,
)
from broker.models.api_key import ApiKey, Role
from broker.models.assignment import AssignmentStatus, RequestAssignment
from broker.models.audit import AuditEvent
from broker.models.base import Base
from broker.models.catalog import CatalogDeletion, CatalogState
from broker.models.exchange import (
    EXCHANGE_TRANSITIONS,
    Exchange,
    ExchangeChange,
    ExchangeReport,
    ExchangeSide,
    ExchangeStatus,
)
from broker.models.funding import FUNDER_KINDS, FundingWindow, FundingWindowStatus
from broker.models.import_job import ImportJob, ImportJobStatus
from broker.models.institution import Institution, InstitutionKind
from broker.models.knowledge import KnowledgeRequest, Offer, OfferStatus, RequestStatus
from broker.models.match import Match, MatchReview, MatchStatus
from broker.models.plan import FundingMode, PortfolioLine, PortfolioPlan
from broker.models.scoring import Embedding, ScoringProfile
from broker.models.signal import MatchSide, MatchSignal, SignalKind
from broker.models.ui_session import UiSession
from broker.models.user import TokenPurpose, User, UserToken

__all__ = [
    "EXCHANGE_TRANSITIONS",
    "FUNDER_KINDS",
    "SUBSCRIBABLE",
    "ApiKey",
    "AssignmentStatus",
    "AuditEvent",
    "Base",
    "CatalogDeletion",
    "CatalogState",
    "Channel",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Embedding",
    "Event",
    "EventType",
    "Exchange",
    "ExchangeChange",
    "ExchangeReport",
    "ExchangeSide",
    "ExchangeStatus",
    "FundingMode",
    "FundingWindow",
    "FundingWindowStatus",
    "ImportJob",
    "ImportJobStatus",
    "Institution",
    "InstitutionKind",
    "KnowledgeRequest",
    "Match",
    "MatchReview",
    "MatchSide",
    "MatchSignal",
    "MatchStatus",
    "Offer",
    "OfferStatus",
    "PortfolioLine",
    "PortfolioPlan",
    "RequestAssignment",
    "RequestStatus",
    "Role",
    "ScoringProfile",
    "SignalKind",
    "Subscription",
    "SubscriptionStatus",
    "TokenPurpose",
    "UiSession",
    "User",
    "UserToken",
]
