"""The language switch: remembers the chosen locale in the ``lang`` cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from broker.errors import NotFound
from broker.i18n import SUPPORTED_LOCALES
from broker.ui import deps
from broker.ui.rendering import LANG_COOKIE, LANG_COOKIE_SECONDS, UiRoute, redirect, safe_next

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


@router.get("/language/{locale}")
def choose_language(
    request: Request, locale: str, next: Annotated[str | None, Query(max_length=2000)] = None
) -> RedirectResponse:
    """Show the workspace in ``locale`` from now on, back on the page the switch was used on.

    A plain link (the pages run no script); it changes only a display preference, so it needs no
    session or CSRF token and works on the sign-in page too.
    """
    if locale not in SUPPORTED_LOCALES:
        raise NotFound(f"no workspace language {locale!r}; choose one of {', '.join(SUPPORTED_LOCALES)}")
    response = redirect(safe_next(next))
    deps.set_cookie(request, response, LANG_COOKIE, locale, max_age=LANG_COOKIE_SECONDS)
    return response
