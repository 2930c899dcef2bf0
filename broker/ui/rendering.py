"""Templates, their formatting filters, and the route class that turns errors into HTML pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from broker.errors import BrokerError, Unauthorized
from broker.reference import get_reference

HERE = Path(__file__).parent
SIGN_IN = "/ui/sign-in"
HOME = "/ui/requests"
# No script runs on these pages; styles come from /ui/static only; forms post back to this origin.
UI_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
TITLES = {
    401: "Sign in needed",
    403: "Not allowed",
    404: "Not found",
    409: "Changed meanwhile",
    422: "Not valid",
    429: "Too many attempts",
}


def _usd(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _country(code: str) -> str:
    found = get_reference().country(code)
    return found.name if found else code


def _region(code: str) -> str:
    found = get_reference().country(code)
    return found.region.name if found else "unknown region"


def _sector(code: str) -> str:
    found = get_reference().sector(code)
    return f"{found.name} ({code})" if found else code


def _modality(code: str) -> str:
    found = get_reference().modality(code)
    return found.name if found else code


def _language(code: str) -> str:
    found = get_reference().language(code)
    return found.name if found else code


def _when(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.undefined = StrictUndefined
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
# Identity until the i18n helper installs gettext; templates mark their text as {{ _("...") }}.
templates.env.globals.setdefault("_", lambda text, **values: text % values if values else text)
templates.env.filters.update(
    usd=_usd,
    score=_score,
    country=_country,
    region=_region,
    sector=_sector,
    modality=_modality,
    language=_language,
    when=_when,
)


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    """A page with the workspace's own CSP; never cached, since it shows institutions' records."""
    values = {"viewer": None, "section": None, **context}
    response = templates.TemplateResponse(request, name, values, status_code=status)
    response.headers["content-security-policy"] = UI_CSP
    response.headers["cache-control"] = "no-store"
    return response


def error_page(request: Request, status: int, detail: Any) -> HTMLResponse:
    message = detail if isinstance(detail, str) else "; ".join(_messages(detail))
    title = TITLES.get(status, "Something went wrong")
    return render(
        request, "error.html", {"title": title, "message": message, "status": status}, status=status
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def sign_in_redirect(request: Request) -> RedirectResponse:
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"{SIGN_IN}?next={quote(here, safe='')}")
    return redirect(SIGN_IN)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a path of this workspace, never another site."""
    if value and value.startswith("/ui/") and "\\" not in value and ".." not in value:
        return value
    return HOME


class UiRoute(APIRoute):
    """Errors on /ui answer as pages: sign-in needed redirects, the rest explain themselves in HTML."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthorized:
                return sign_in_redirect(request)
            except BrokerError as exc:
                return error_page(request, exc.status, exc.detail)
            except RequestValidationError as exc:
                errors = exc.errors()
                if errors and all(e.get("loc", ("",))[0] == "path" for e in errors):
                    return error_page(request, 404, "there is no such page")
                return error_page(request, 422, [e.get("msg", "invalid value") for e in errors])

        return page_handler


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail]
    return [str(detail)]
