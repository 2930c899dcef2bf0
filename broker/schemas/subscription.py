"""Alert subscriptions, their deliveries and the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from broker import reference
from broker.events import ssrf
from broker.models import Channel, SubscriptionStatus
from broker.schemas.codes import LanguageCodes
from broker.schemas.common import StrictModel, TrackedRead, UpdateModel, examples

EventName = Literal["match.new", "match.reviewed", "exchange.status"]


def _events(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("an event type is listed twice")
    return values


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ssrf.parse(value)
    except ssrf.UnsafeTarget as exc:
        raise ValueError(str(exc)) from None
    return value


Events = Annotated[
    list[EventName],
    Field(min_length=1, max_length=3, description="match.new, match.reviewed, exchange.status"),
    AfterValidator(_events),
]
SectorGroups = Annotated[
    list[str],
    Field(max_length=40, description="DAC sector group codes, e.g. 120 (Health)"),
    AfterValidator(lambda v: reference.validate_sector_groups(v)),
]
Regions = Annotated[
    list[str],
    Field(max_length=40, description="M49 region, sub-region or intermediate region codes, e.g. 002"),
    AfterValidator(lambda v: reference.validate_regions(v)),
]
Url = Annotated[
    str | None,
    Field(default=None, max_length=2000, description="http(s) URL the webhook is POSTed to"),
    AfterValidator(_url),
]


class SubscriptionCreate(StrictModel):
    """What to be told of, for which records, and how (a signed webhook, or the daily digest)."""

    model_config = examples(
        {
            "name": "Health requests in Africa",
            "events": ["match.new", "match.reviewed", "exchange.status"],
            "channel": "webhook",
            "url": "https://hooks.example.org/broker",
            "sector_groups": ["120"],
            "regions": ["002"],
            "languages": ["fr", "pt"],
        }
    )

    name: str = Field(min_length=1, max_length=200)
    events: Events
    channel: Channel = Channel.webhook
    url: Url = None
    sector_groups: SectorGroups = Field(default_factory=list)
    regions: Regions = Field(default_factory=list)
    languages: LanguageCodes = Field(default_factory=list)

    @model_validator(mode="after")
    def _url_for_webhooks(self) -> Self:
        if self.channel == Channel.webhook and not self.url:
            raise ValueError("a webhook subscription needs a url")
        if self.channel == Channel.digest and self.url:
            raise ValueError("a digest subscription has no url (the digest is rendered by the CLI)")
        return self


class SubscriptionUpdate(UpdateModel):
    """Fields to change; ``status: active`` re-enables a subscription disabled after failures."""

    model_config = examples({"version": 3, "status": "active"}, {"version": 1, "regions": ["002", "419"]})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    events: Events | None = None
    url: Url = None
    sector_groups: SectorGroups | None = None
    regions: Regions | None = None
    languages: LanguageCodes | None = None
    status: SubscriptionStatus | None = None


class SubscriptionRead(TrackedRead):
    name: str
    events: list[str]
    channel: Channel
    url: str | None
    sector_groups: list[str]
    regions: list[str]
    languages: list[str]
    status: SubscriptionStatus
    disabled_reason: str | None
    consecutive_failures: int
    owner_role: str
    owner_institution_id: int | None
    owner_name: str


class SubscriptionCreated(SubscriptionRead):
    secret: str | None = Field(
        description="The HMAC-SHA256 signing secret of a webhook subscription: shown only now (and when "
        "rotated), never again"
    )


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str = Field(description="The idempotency key the receiver sees, the same on every retry")
    event_id: int
    type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    body: dict[str, Any]
    log: list[AttemptRead] = []
