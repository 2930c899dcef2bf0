from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from broker.api.deps import CurrentPrincipal
from broker.api.responses import errors
from broker.reference import Country, get_reference
from broker.schemas.taxonomy import (
    CodeList,
    CountryRead,
    LanguageRead,
    ModalityRead,
    OutcomeRead,
    RegionRead,
    SdgRead,
    SectorRead,
)
from broker.services import taxonomy as service

router = APIRouter(prefix="/taxonomy", tags=["taxonomy"])
Search = Annotated[str | None, Query(max_length=100, description="Free text or code prefix")]


@router.get("/sectors", responses=errors())
def list_sectors(
    _: CurrentPrincipal, q: Search = None, limit: Annotated[int, Query(ge=1, le=500)] = 500
) -> CodeList[SectorRead]:
    """OECD DAC CRS purpose codes with their category and group."""
    items = [SectorRead.model_validate(s) for s in service.sectors(q, limit=limit)]
    return CodeList(items=items, total=len(items))


@router.get("/sdgs", responses=errors())
def list_sdgs(_: CurrentPrincipal) -> CodeList[SdgRead]:
    """The 17 Sustainable Development Goals and their targets."""
    items = [SdgRead.model_validate(g) for g in get_reference().sdgs]
    return CodeList(items=items, total=len(items))


@router.get("/countries", responses=errors())
def list_countries(
    _: CurrentPrincipal,
    q: Search = None,
    region: Annotated[str | None, Query(max_length=100, description="M49 region code or name")] = None,
) -> CodeList[CountryRead]:
    """Countries and territories with their M49 regions, income level, capital and languages."""
    items = [_country(c) for c in service.countries(q, region=region)]
    return CodeList(items=items, total=len(items))


@router.get("/regions", responses=errors())
def list_regions(
    _: CurrentPrincipal, level: Literal["region", "sub_region", "intermediate_region"] | None = None
) -> CodeList[RegionRead]:
    """The UN M49 regions, sub-regions and intermediate regions with their member countries."""
    items = [RegionRead.model_validate(r) for r in service.regions(level)]
    return CodeList(items=items, total=len(items))


@router.get("/languages", responses=errors())
def list_languages(_: CurrentPrincipal, q: Search = None) -> CodeList[LanguageRead]:
    """ISO 639-1 languages."""
    items = [LanguageRead.model_validate(lang) for lang in service.languages(q)]
    return CodeList(items=items, total=len(items))


@router.get("/modalities", responses=errors())
def list_modalities(_: CurrentPrincipal) -> CodeList[ModalityRead]:
    """Exchange modalities with delivery mode, typical size and duration, and cost-model parameters."""
    items = [ModalityRead.model_validate(m) for m in get_reference().modalities]
    return CodeList(items=items, total=len(items))


@router.get("/outcomes", responses=errors())
def list_outcomes(_: CurrentPrincipal) -> CodeList[OutcomeRead]:
    """Intermediate capacity outcomes a knowledge exchange can aim at."""
    items = [OutcomeRead.model_validate(o) for o in get_reference().outcomes]
    return CodeList(items=items, total=len(items))


def _country(c: Country) -> CountryRead:
    return CountryRead(
        alpha3=c.alpha3,
        alpha2=c.alpha2,
        name=c.name,
        region=c.region.name,
        sub_region=c.sub_region.name,
        intermediate_region=c.intermediate_region.name if c.intermediate_region else None,
        income_level=c.income_level,
        capital=c.capital,
        capital_lat=c.capital_lat,
        capital_lon=c.capital_lon,
        languages=list(c.languages),
        timezone=c.timezone,
        utc_offset_hours=c.utc_offset_hours,
    )
