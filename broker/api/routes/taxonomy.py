from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from broker.api.deps import CurrentPrincipal, EngineDep, SessionDep
from broker.api.responses import errors
from broker.reference import Country
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
Meaningful = Annotated[
    str | None,
    Query(max_length=100, description="Words or a phrase in any language, matched by words and by meaning"),
]


@router.get("/sectors", summary="List DAC sectors", responses=errors())
def list_sectors(
    _: CurrentPrincipal,
    session: SessionDep,
    engine: EngineDep,
    q: Annotated[
        str | None,
        Query(max_length=100, description="A code or code prefix, or words or a phrase in any language"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> CodeList[SectorRead]:
    """OECD DAC CRS purpose codes with their category and group; ``q`` searches by words and meaning."""
    meaning = service.meaning(session, engine=engine, q=q)
    items = [SectorRead.model_validate(s) for s in service.sectors(q, limit=limit, meaning=meaning)]
    return CodeList(items=items, total=len(items))


@router.get("/sdgs", summary="List SDGs and targets", responses=errors())
def list_sdgs(
    _: CurrentPrincipal, session: SessionDep, engine: EngineDep, q: Meaningful = None
) -> CodeList[SdgRead]:
    """The 17 Sustainable Development Goals and their targets; ``q`` (a number or words) filters them."""
    meaning = service.meaning(session, engine=engine, q=q)
    items = [SdgRead.model_validate(g) for g in service.sdgs(q, meaning=meaning)]
    return CodeList(items=items, total=len(items))


@router.get("/countries", summary="List countries", responses=errors())
def list_countries(
    _: CurrentPrincipal,
    q: Search = None,
    region: Annotated[str | None, Query(max_length=100, description="M49 region code or name")] = None,
) -> CodeList[CountryRead]:
    """Countries and territories with their M49 regions, income level, capital and languages."""
    items = [_country(c) for c in service.countries(q, region=region)]
    return CodeList(items=items, total=len(items))


@router.get("/regions", summary="List M49 regions", responses=errors())
def list_regions(
    _: CurrentPrincipal, level: Literal["region", "sub_region", "intermediate_region"] | None = None
) -> CodeList[RegionRead]:
    """The UN M49 regions, sub-regions and intermediate regions with their member countries."""
    items = [RegionRead.model_validate(r) for r in service.regions(level)]
    return CodeList(items=items, total=len(items))


@router.get("/languages", summary="List languages", responses=errors())
def list_languages(_: CurrentPrincipal, q: Search = None) -> CodeList[LanguageRead]:
    """ISO 639-1 languages."""
    items = [LanguageRead.model_validate(lang) for lang in service.languages(q)]
    return CodeList(items=items, total=len(items))


@router.get("/modalities", summary="List exchange modalities", responses=errors())
def list_modalities(
    _: CurrentPrincipal, session: SessionDep, engine: EngineDep, q: Meaningful = None
) -> CodeList[ModalityRead]:
    """Exchange modalities with delivery mode, typical size and duration, and cost-model parameters."""
    meaning = service.meaning(session, engine=engine, q=q)
    items = [ModalityRead.model_validate(m) for m in service.modalities(q, meaning=meaning)]
    return CodeList(items=items, total=len(items))


@router.get("/outcomes", summary="List capacity outcomes", responses=errors())
def list_outcomes(
    _: CurrentPrincipal, session: SessionDep, engine: EngineDep, q: Meaningful = None
) -> CodeList[OutcomeRead]:
    """Intermediate capacity outcomes a knowledge exchange can aim at."""
    meaning = service.meaning(session, engine=engine, q=q)
    items = [OutcomeRead.model_validate(o) for o in service.outcomes(q, meaning=meaning)]
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
