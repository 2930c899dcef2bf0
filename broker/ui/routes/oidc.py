"""Single sign-on: off to the OpenID Connect provider, and back with a code to exchange."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from broker.api.deps import SessionDep, app_settings
from broker.errors import Unauthorized
from broker.services import audit, oidc, ui_sessions
from broker.ui import deps
from broker.ui.rendering import UiRoute, render, safe_next
from broker.ui.routes.auth import sign_in_refused

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
# SameSite=Lax: the provider's redirect back is a cross-site navigation, which Strict cookies miss.
FLOW_COOKIE = "kb_ui_oidc"
FLOW_COOKIE_PATH = "/ui/oidc"
FLOW_SECONDS = 600
Param = Annotated[str, Query(max_length=4000)]


@router.get("/sign-in/oidc")
def start(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None) -> RedirectResponse:
    deps.check_sign_in_throttle(request)
    url, flow = oidc.start(app_settings(request), next=safe_next(next))
    response = RedirectResponse(url, status_code=303)
    value = base64.urlsafe_b64encode(json.dumps(flow.__dict__).encode()).decode()
    deps.set_cookie(
        request, response, FLOW_COOKIE, value, max_age=FLOW_SECONDS, path=FLOW_COOKIE_PATH, samesite="lax"
    )
    return response


@router.get("/oidc/callback")
def callback(
    request: Request, session: SessionDep, code: Param = "", state: Param = "", error: Param = ""
) -> HTMLResponse:
    """Finish single sign-on; the answer is a page that moves on by itself, so the Strict session
    cookie is sent on the next (same-site) navigation."""
    deps.check_sign_in_throttle(request)
    settings = app_settings(request)
    flow = _flow(request.cookies.get(FLOW_COOKIE))
    client = request.client.host if request.client else None
    try:
        if error:
            raise Unauthorized(oidc.REFUSED)
        identity = oidc.finish(settings, flow=flow, state=state, code=code)
        user = oidc.user_for(session, settings, identity=identity)
    except Unauthorized as exc:
        deps.record_sign_in_failure(request)
        failure = {"reason": f"single sign-on: {exc.detail}"}
        audit.record(session, event="sign_in.failed", principal=None, client=client, detail=failure)
        response = sign_in_refused(request, error=str(exc.detail))
        deps.clear_cookie(request, response, FLOW_COOKIE, path=FLOW_COOKIE_PATH, samesite="lax")
        return response
    signed_in = ui_sessions.sign_in_user(session, user=user)
    detail = {"method": "oidc", "user_id": user.id}
    audit.record(session, event="sign_in", principal=signed_in.viewer.principal, client=client, detail=detail)
    assert flow is not None  # finish() refuses a missing flow
    target = flow.next  # a staff page sends an institution on to its own pages (broker.ui.deps)
    response = render(request, "continue.html", {"next": target})
    deps.start_session(request, response, signed_in.token)
    deps.clear_cookie(request, response, FLOW_COOKIE, path=FLOW_COOKIE_PATH, samesite="lax")
    return response


def _flow(value: str | None) -> oidc.Flow | None:
    if not value:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(value.encode()))
        return oidc.Flow(
            state=str(data["state"]),
            nonce=str(data["nonce"]),
            code_verifier=str(data["code_verifier"]),
            next=safe_next(str(data["next"])),
        )
    except (ValueError, KeyError, TypeError):
        return None
