"""A small OpenID Connect provider for tests: discovery, JWKS, authorize and token endpoints on a
loopback port, signing ID tokens with a throwaway RSA key. Real HTTP, so Authlib and joserfc are
exercised as they would be against an agency's identity provider."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form, Header, HTTPException, Query
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "knowledge-broker"
CLIENT_SECRET = "test-client-secret"


@dataclass
class Provider:
    """The provider's state; tests set ``identity`` and may make it misbehave."""

    base_url: str
    redirect_uri: str
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-1"}))
    identity: dict[str, Any] = field(default_factory=dict)
    nonce_override: str | None = None
    issuer_override: str | None = None
    audience_override: str | None = None
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    def reset(self, **identity: Any) -> None:
        self.identity = {"sub": "user-1", "email_verified": True, **identity}
        self.nonce_override = self.issuer_override = self.audience_override = None
        self.codes.clear()


def build_app(provider: Provider) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {
            "issuer": provider.base_url,
            "authorization_endpoint": f"{provider.base_url}/authorize",
            "token_endpoint": f"{provider.base_url}/token",
            "jwks_uri": f"{provider.base_url}/jwks",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return {"keys": [provider.key.as_dict(private=False)]}

    @app.get("/authorize")
    def authorize(
        client_id: str,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_challenge: str,
        code_challenge_method: str,
        response_type: Annotated[str, Query()],
        scope: Annotated[str, Query()],
    ) -> RedirectResponse:
        if client_id != CLIENT_ID or redirect_uri != provider.redirect_uri or response_type != "code":
            raise HTTPException(400, "bad authorization request")
        if "openid" not in scope.split() or code_challenge_method != "S256":
            raise HTTPException(400, "openid scope and S256 PKCE required")
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {"nonce": nonce, "challenge": code_challenge, "redirect_uri": redirect_uri}
        return RedirectResponse(
            f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=302
        )

    @app.post("/token")
    def token(
        grant_type: Annotated[str, Form()],
        code: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        code_verifier: Annotated[str, Form()],
        authorization: Annotated[str, Header()] = "",
    ) -> JSONResponse:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        issued = provider.codes.pop(code, None)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
        if (
            grant_type != "authorization_code"
            or issued is None
            or issued["redirect_uri"] != redirect_uri
            or challenge.decode() != issued["challenge"]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": provider.issuer_override or provider.base_url,
            "aud": provider.audience_override or CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": provider.nonce_override or issued["nonce"],
            **provider.identity,
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "test-1"}, claims, provider.key)
        body = {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }
        return JSONResponse(body)

    return app


@contextmanager
def running_provider(redirect_uri: str) -> Iterator[Provider]:
    """Serve a provider on 127.0.0.1 in a thread for the duration of the block."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = Provider(base_url=f"http://127.0.0.1:{port}", redirect_uri=redirect_uri)
    provider.reset()
    config = uvicorn.Config(
        build_app(provider), host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test OIDC provider did not start")
        time.sleep(0.02)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
