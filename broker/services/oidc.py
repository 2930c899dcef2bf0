"""Single sign-on through an OpenID Connect provider (authorization code flow with PKCE).

Authlib speaks OAuth 2 to the provider (authorization URL, PKCE, the token request); joserfc
checks the ID token (signature against the provider's JWKS, issuer, audience, expiry, nonce).
The ID token's email must be verified by the provider, and it must belong to an invited account,
unless ``BROKER_OIDC_SIGNUP_DOMAINS`` lets that email's domain create one with a fixed role.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.config import Settings
from broker.errors import InvalidInput, NotFound, Unauthorized
from broker.models import Institution, Role, User
from broker.services import audit, users

CALLBACK_PATH = "/ui/oidc/callback"
HTTP_TIMEOUT_SECONDS = 10.0
DISCOVERY_TTL_SECONDS = 3600.0
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
CLOCK_LEEWAY_SECONDS = 60
REFUSED = "single sign-on did not succeed; try again or sign in with your password"
SSO_PRINCIPAL = Principal(key_id=None, name="single sign-on", role=Role.admin)


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Flow:
    """What the browser keeps (in a cookie) between leaving for the provider and coming back."""

    state: str
    nonce: str
    code_verifier: str
    next: str


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str
    name: str | None


_discovered: dict[str, tuple[float, Provider]] = {}
_lock = threading.Lock()


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_discovery_url and settings.oidc_client_id)


def redirect_uri(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/") + CALLBACK_PATH


def discover(settings: Settings) -> Provider:
    """The provider's endpoints from its discovery document (cached for an hour per process).

    Raises:
        NotFound: single sign-on is not configured.
        Unauthorized: the document cannot be read or lacks an endpoint.
    """
    if not enabled(settings):
        raise NotFound("single sign-on is not configured")
    url = str(settings.oidc_discovery_url)
    with _lock:
        cached = _discovered.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
        provider = Provider(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
        )
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        raise Unauthorized("the single sign-on provider cannot be reached; try again later") from None
    with _lock:
        _discovered[url] = (time.monotonic() + DISCOVERY_TTL_SECONDS, provider)
    return provider


def start(settings: Settings, *, next: str) -> tuple[str, Flow]:
    """The provider's authorization URL to send the browser to, and the flow to remember."""
    provider = discover(settings)
    flow = Flow(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(48),
        next=next,
    )
    with _client(settings) as client:
        url, _ = client.create_authorization_url(
            provider.authorization_endpoint,
            state=flow.state,
            code_verifier=flow.code_verifier,
            nonce=flow.nonce,
        )
    return str(url), flow


def finish(settings: Settings, *, flow: Flow | None, state: str, code: str) -> Identity:
    """Exchange the code and check the ID token.

    Raises:
        Unauthorized: no flow or a different state (not this browser's sign-in), a failed token
            request, an ID token that does not check out (signature, issuer, audience, expiry,
            nonce), or an email the provider has not verified.
    """
    if flow is None or not state or not secrets.compare_digest(state.encode(), flow.state.encode()):
        raise Unauthorized("this single sign-on answer does not belong to a sign-in started here")
    provider = discover(settings)
    try:
        with _client(settings) as client:
            token = client.fetch_token(provider.token_endpoint, code=code, code_verifier=flow.code_verifier)
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise Unauthorized(REFUSED)
        keys = httpx.get(provider.jwks_uri, timeout=HTTP_TIMEOUT_SECONDS)
        keys.raise_for_status()
        decoded = jwt.decode(id_token, KeySet.import_key_set(keys.json()), algorithms=ID_TOKEN_ALGORITHMS)
        claims: dict[str, Any] = dict(decoded.claims)
        jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": str(settings.oidc_client_id)},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": flow.nonce},
        ).validate(claims)
    except (httpx.HTTPError, AuthlibBaseError, JoseError, ValueError, KeyError, TypeError):
        raise Unauthorized(REFUSED) from None
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is not True:
        raise Unauthorized("the single sign-on provider did not confirm an email address")
    name = claims.get("name")
    return Identity(subject=str(claims["sub"]), email=email, name=name if isinstance(name, str) else None)


def user_for(session: Session, settings: Settings, *, identity: Identity) -> User:
    """The account the verified email belongs to, or a new one if its domain may sign up.

    Raises:
        Unauthorized: no such account and no sign-up rule for the domain, or the account is disabled.
    """
    user = users.find_by_email(session, email=identity.email)
    if user is None:
        user = _sign_up(session, settings, identity=identity)
    if user.disabled:
        raise Unauthorized("this account cannot sign in; ask your administrator")
    return user


def signup_rules(value: str) -> dict[str, tuple[Role, int | None]]:
    """Parse ``BROKER_OIDC_SIGNUP_DOMAINS``: "domain=role" or "domain=institution:ID", comma-separated.

    Raises:
        InvalidInput: a malformed pair.
    """
    rules: dict[str, tuple[Role, int | None]] = {}
    for pair in filter(None, (part.strip() for part in value.split(","))):
        domain, _, target = pair.partition("=")
        role_name, _, institution = target.strip().partition(":")
        try:
            role = Role(role_name)
            institution_id = int(institution) if institution else None
        except ValueError:
            raise InvalidInput(f"BROKER_OIDC_SIGNUP_DOMAINS: cannot read {pair!r}") from None
        if (role == Role.institution) != (institution_id is not None) or not domain.strip():
            raise InvalidInput(
                f"BROKER_OIDC_SIGNUP_DOMAINS: {pair!r} needs institution:ID exactly for institution"
            )
        rules[domain.strip().lower()] = (role, institution_id)
    return rules


def _sign_up(session: Session, settings: Settings, *, identity: Identity) -> User:
    domain = identity.email.rsplit("@", 1)[-1].lower()
    rule = signup_rules(settings.oidc_signup_domains).get(domain)
    if rule is None:
        raise Unauthorized("there is no account for this email; ask an administrator for an invitation")
    role, institution_id = rule
    if institution_id is not None and session.get(Institution, institution_id) is None:
        raise Unauthorized("the sign-up rule for this email names a missing institution")
    user = User(
        email=users.normalize_email(identity.email),
        display_name=(identity.name or identity.email)[:200],
        role=role.value,
        institution_id=institution_id,
    )
    session.add(user)
    session.flush()
    detail = {"role": role.value, "institution_id": institution_id, "domain": domain}
    audit.record(
        session, event="user.signed_up", principal=SSO_PRINCIPAL, subject=f"user {user.id}", detail=detail
    )
    return user


def _client(settings: Settings) -> OAuth2Client:
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    return OAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=secret,
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri(settings),
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        timeout=HTTP_TIMEOUT_SECONDS,
    )
