"""Service settings, read from the environment (prefix ``BROKER_``) or a ``.env`` file."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Everything that differs between a laptop, CI and production."""

    model_config = SettingsConfigDict(env_prefix="BROKER_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./broker.db"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"

    # Embeddings: "model" loads ``embedding_model``; "hashing" is the fast deterministic encoder
    # meant for tests only ("sentence-transformers" is the old name of "model").
    encoder: Literal["model", "sentence-transformers", "hashing"] = "model"
    # A bundled model name (see broker.ranking.embedding.models.MODELS) or a local sentence-transformers
    # directory. Changing it means `broker reindex`.
    embedding_model: str = "e5+use"
    # Threads of one embedding call; 1 keeps a single query fastest on a busy 2-core machine.
    embedding_threads: int = Field(default=1, ge=1, le=64)
    # Arithmetic of the e5 model: "auto" (bfloat16 where the CPU multiplies it natively, else fp32),
    # "bf16" or "fp32". The vectors agree to a cosine of 0.9999 either way.
    embedding_precision: Literal["auto", "bf16", "fp32"] = "auto"
    # A snapshot of the offer index (``broker index snapshot PATH``): a worker maps it at start and
    # reads only the offers written since, instead of every row (see README, "Scaling out").
    index_snapshot: Path | None = None

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # A body that has not fully arrived after this long is refused with 408.
    body_timeout_seconds: float = Field(default=60.0, gt=0)
    # How long a write waits for the database's write lock before answering 503 with Retry-After.
    write_wait_seconds: float = Field(default=30.0, gt=0)
    # Closed unless listed: a JSON list in BROKER_CORS_ORIGINS, e.g. '["https://app.example.org"]'.
    cors_origins: list[str] = []
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: comma-separated addresses
    # or networks (e.g. "10.0.0.5,10.1.0.0/16"). Empty: the address is the connecting peer's, whatever
    # headers it sends.
    trusted_proxies: str = ""
    # Failed authentications per client address and window before /api answers 429 (per process).
    auth_failure_limit: int = Field(default=20, ge=1)
    auth_failure_window_seconds: float = Field(default=60.0, gt=0)
    # Ranking, import and learning calls per API key and minute before 429 (per process).
    expensive_calls_per_minute: int = Field(default=30, ge=1)
    default_page_size: int = 50
    max_page_size: int = 200

    # Accounts. One-time links (invitation, password reset) are built on this address.
    public_base_url: str = "http://127.0.0.1:8000"
    invite_lifetime_hours: float = Field(default=72.0, gt=0)
    reset_lifetime_minutes: float = Field(default=60.0, gt=0)
    # Failed sign-ins per account (whoever tries) and window before that account is held (per process).
    account_failure_limit: int = Field(default=10, ge=1)
    account_failure_window_seconds: float = Field(default=900.0, gt=0)
    # Optional mail: with a host set, invitation and reset links are mailed; otherwise nothing is sent.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "knowledge-broker@localhost"
    smtp_starttls: bool = True
    # OpenID Connect single sign-on: on when the discovery URL and client id are set.
    oidc_discovery_url: str | None = None  # e.g. https://idp.example.org/.well-known/openid-configuration
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email profile"
    oidc_provider_name: str = "single sign-on"
    # Who may create their own account through single sign-on: comma-separated "domain=role" or
    # "domain=institution:ID" pairs, e.g. "agency.example.org=staff,health.go.ke=institution:12".
    # Empty: only people already invited can sign in (matched on the ID token's verified email).
    oidc_signup_domains: str = ""
    # Alerts (broker.events). Each server process runs a dispatcher unless this is off (then run
    # ``broker alerts deliver`` somewhere); it polls every ``alerts_poll_seconds`` and is woken at once
    # by a commit that wrote an event.
    alerts_dispatch: bool = True
    alerts_poll_seconds: float = Field(default=2.0, gt=0)
    # A worker that took an event or a delivery holds it this long; after a crash another takes it.
    alerts_lease_seconds: float = Field(default=60.0, gt=0)
    # Webhook targets on loopback, private or link-local addresses are refused (SSRF) unless this is on
    # (an internal deployment, the tests).
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # A failed POST is retried after base * 2**(n-1) seconds (capped, with jitter) up to max_attempts;
    # a subscription is disabled after this many failed attempts in a row (across its deliveries).
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_base_seconds: float = Field(default=30.0, gt=0)
    webhook_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    webhook_disable_after_failures: int = Field(default=20, ge=1)


@cache
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing the environment."""
    return Settings()
