"""Templates, their formatting filters, and the route class that turns errors into HTML pages.

Pages are translated with Jinja2's i18n extension: templates mark text with ``{{ _("...") }}``
(or ``{% trans %}``) and the callables read the page's locale from a context variable that
``render`` sets, so one shared environment serves concurrent requests in different languages, and
imported macros translate too. The locale is the ``lang`` cookie (set by the switch in base.html),
else the best match of ``Accept-Language``, else English.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
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
from broker.i18n import (
    DEFAULT_LOCALE,
    format_day,
    format_moment,
    format_money,
    format_number,
    negotiate_locale,
    render_reason,
    translations,
)
from broker.i18n.names import (
    N_,
    country_name,
    country_region_name,
    language_name,
    modality_name,
    region_name,
    sector_name,
)
from broker.i18n.ranked import localize_summary
from broker.i18n.reasons import reason_from_json
from broker.matching import Reason

HERE = Path(__file__).parent
SIGN_IN = "/ui/sign-in"
HOME = "/ui/requests"
MY_HOME = "/ui/my/requests"
# No script runs on these pages; styles come from /ui/static only; forms post back to this origin.
UI_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
LANG_COOKIE = "lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600
# Each language named in itself, for the switch.
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français", "pt": "Português"}
TITLES = {
    401: N_("Sign in needed"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Changed meanwhile"),
    422: N_("Not valid"),
    429: N_("Too many attempts"),
}
ERROR_TITLE = N_("Something went wrong")
# Values shown as labels: statuses, fits, factor names, and notices set by the routes.
LABELS = (
    N_("open"),
    N_("matched"),
    N_("closed"),
    N_("proposed"),
    N_("shortlisted"),
    N_("accepted"),
    N_("rejected"),
    N_("draft"),
    N_("published"),
    N_("archived"),
    N_("strong fit"),
    N_("possible fit"),
    N_("weak fit"),
    N_("new"),
    N_("in review"),
    N_("semantic"),
    N_("sector"),
    N_("region"),
    N_("modality"),
    N_("language"),
    N_("cost"),
    N_("track record"),
    N_("admin"),
    N_("staff"),
    N_("broker"),
    N_("institution"),
    N_("You are signed out."),
)
_locale: ContextVar[str] = ContextVar("ui_locale", default=DEFAULT_LOCALE)


def current_locale() -> str:
    """The locale of the page being rendered (English outside ``render``)."""
    return _locale.get()


@contextmanager
def page_locale(locale: str) -> Iterator[None]:
    """Render in ``locale`` within the block."""
    token = _locale.set(locale)
    try:
        yield
    finally:
        _locale.reset(token)


def request_locale(request: Request) -> str:
    """The locale of a page request: the ``lang`` cookie, then ``Accept-Language``, then English."""
    return negotiate_locale(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE))


def _gettext(message: str) -> str:
    return translations(_locale.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_locale.get()).ngettext(singular, plural, n)


def _usd(value: float | None) -> str:
    return format_money(value, _locale.get())


def _estimate(value: float | None) -> str:
    return format_money(value, _locale.get(), estimate=True)


def _score(value: float | None) -> str:
    return "—" if value is None else format_number(value, _locale.get())


def _country(code: str) -> str:
    return country_name(code, _locale.get())


def _region(code: str) -> str:
    return country_region_name(code, _locale.get())


def _m49(code: str) -> str:
    return region_name(code, _locale.get())


def _sector(code: str) -> str:
    return f"{sector_name(code)} ({code})"


def _sector_group(code: str) -> str:
    return sector_name(code, "group")


def _modality(code: str) -> str:
    return modality_name(code, _locale.get())


def _language(code: str) -> str:
    return language_name(code, _locale.get())


def _when(moment: datetime | None) -> str:
    return format_moment(moment, _locale.get())


def _day(day: date | None) -> str:
    return format_day(day, _locale.get())


def _summary(text: str) -> str:
    return localize_summary(text, _locale.get())


def _reasons(item: Any) -> list[str]:
    """A ranked item's reasons in the page's locale (its English sentences if it has no codes)."""
    detail = getattr(item, "reasons_detail", None)
    if not detail:
        return list(item.reasons or [])
    return [_reason(d) for d in detail]


def _reason(detail: Any) -> str:
    """One reason (a ``ReasonDetail``, or a stored ``{"code", "params"}``) in the page's locale;
    its own ``text`` when it has no code or its parameters do not fit the code's sentence."""
    if isinstance(detail, Mapping):
        reason, text = reason_from_json(detail), detail.get("text")
    else:
        reason, text = Reason(detail.code, dict(detail.params)), getattr(detail, "text", None)
    if text and reason.code == "text":  # stored before reasons had codes: only its sentence
        return str(text)
    try:
        return render_reason(reason, _locale.get())
    except (KeyError, TypeError, ValueError):
        if text:
            return str(text)
        raise


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.add_extension("jinja2.ext.i18n")
templates.env.undefined = StrictUndefined
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
templates.env.policies["ext.i18n.trimmed"] = True
templates.env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
templates.env.globals.update(ui_languages=LANGUAGE_NAMES)
templates.env.filters.update(
    usd=_usd,
    estimate=_estimate,
    score=_score,
    country=_country,
    region=_region,
    m49=_m49,
    sector=_sector,
    sector_group=_sector_group,
    modality=_modality,
    language=_language,
    when=_when,
    day=_day,
    reasons=_reasons,
    reason=_reason,
    summary=_summary,
)
# Identity until the i18n work installs gettext (it then owns ``_``).
templates.env.globals.setdefault("_", lambda text, **values: text % values if values else text)


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    """A page in the request's locale with the workspace's own CSP; never cached, since it shows
    institutions' records."""
    locale = request_locale(request)
    values = {"viewer": None, "section": None, "locale": locale, **context}
    with page_locale(locale):  # the template renders inside TemplateResponse
        response = templates.TemplateResponse(request, name, values, status_code=status)
    response.headers["content-security-policy"] = UI_CSP
    response.headers["cache-control"] = "no-store"
    response.headers["content-language"] = locale
    response.headers["vary"] = "Accept-Language, Cookie"
    return response


def error_page(request: Request, status: int, detail: Any) -> HTMLResponse:
    message = detail if isinstance(detail, str) else "; ".join(_messages(detail))
    title = TITLES.get(status, ERROR_TITLE)
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


class SeeOther(Exception):
    """This page is for another kind of viewer: the browser is sent to ``url`` instead (303)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class UiRoute(APIRoute):
    """Errors on /ui answer as pages: sign-in needed redirects, the rest explain themselves in HTML."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthorized:
                return sign_in_redirect(request)
            except SeeOther as exc:
                return redirect(exc.url)
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
