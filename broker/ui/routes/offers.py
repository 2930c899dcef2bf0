"""The offers list, and an offer with the open requests it could serve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from broker.api.deps import EngineDep, RowId, SessionDep
from broker.models import OfferStatus
from broker.reference import get_reference
from broker.repositories import workspace as repo
from broker.schemas.common import MAX_ID
from broker.services import ui_workspace
from broker.ui.deps import ViewerDep
from broker.ui.listing import ListQuery, pager, region_and_sector_choices
from broker.ui.rendering import UiRoute, render

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/offers")
def list_offers(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    q: Text = None,
    status: Text = None,
    region: Text = None,
    country: Text = None,
    sector: Text = None,
    modality: Text = None,
    language: Text = None,
    institution: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sort: Text = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    """Offers, searched by words and filtered by sector group, place, modality, language, status, owner."""
    chosen = {
        "q": q or None,
        "status": status or None,
        "region": region or None,
        "country": country or None,
        "sector": sector or None,
        "modality": modality or None,
        "language": language or None,
        "institution": str(institution) if institution else None,
    }
    listing = ui_workspace.list_offers(
        session,
        principal=viewer.principal,
        status=chosen["status"],
        region=chosen["region"],
        country=chosen["country"],
        sector_group=chosen["sector"],
        modality=chosen["modality"],
        language=chosen["language"],
        institution_id=institution,
        q=chosen["q"],
        sort=sort or None,
        offset=offset,
    )
    order = ui_workspace.parse_sort(sort, allowed=repo.OFFER_SORTS, default=ui_workspace.OFFER_SORT)
    params = {k: v for k, v in chosen.items() if v}
    query = ListQuery(path="/ui/offers", params=params, sort=order, offset=offset)
    ref = get_reference()
    context = {
        "viewer": viewer,
        "section": "offers",
        "listing": listing,
        "chosen": chosen,
        "query": query,
        "offset": offset,
        **pager(query, total=listing.total),
        "statuses": [s.value for s in OfferStatus],
        "countries": sorted(ref.countries, key=lambda c: c.name),
        "modalities": ref.modalities,
        "languages": sorted(ref.languages, key=lambda lang: lang.name),
        "institutions": ui_workspace.offer_institutions(session),
        **region_and_sector_choices(),
    }
    return render(request, "offers.html", context)


@router.get("/offers/{offer_id}")
def offer_page(
    request: Request, offer_id: RowId, session: SessionDep, viewer: ViewerDep, engine: EngineDep
) -> HTMLResponse:
    """The offer, then the open requests it could serve, ranked (nothing is stored)."""
    page = ui_workspace.offer_page(session, engine=engine, principal=viewer.principal, offer_id=offer_id)
    return render(request, "offer.html", {"viewer": viewer, "section": "offers", "page": page})
