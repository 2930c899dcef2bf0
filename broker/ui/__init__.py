"""Server-rendered pages under /ui: sign in (password, single sign-on or API key); staff review ranked
matches, follow the exchanges opened from them and their results, see the gaps and keep the
funders' windows; institutions post their own requests and offers (and a funder its windows) under
/ui/my, signal on their matches and report on their exchanges; everyone manages their account."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from broker.ui.rendering import HERE, UiRoute, error_page
from broker.ui.routes import (
    account,
    auth,
    exchanges,
    funding,
    gaps,
    language,
    my,
    my_exchanges,
    offers,
    oidc,
    plans,
    requests,
    shortlists,
)

fallback = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


@fallback.api_route("/{path:path}", methods=["GET", "POST"])
def not_found(request: Request, path: str) -> HTMLResponse:
    return error_page(request, 404, "there is no such page")


def install_ui(app: FastAPI) -> None:
    """Serve the staff pages and their stylesheet (before the catch-all that answers unknown /ui paths)."""
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui_static")
    # my_exchanges and funding's own pages before my: /ui/my/{plural} would otherwise answer them.
    modules = (auth, account, oidc, requests, shortlists, offers, gaps, exchanges, funding, plans, language)
    for module in (*modules, my_exchanges):
        app.include_router(module.router)
    app.include_router(funding.my_router)
    app.include_router(my.router)
    app.include_router(fallback)
