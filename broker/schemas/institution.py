from __future__ import annotations

from pydantic import Field

from broker.models import InstitutionKind
from broker.schemas.codes import CountryCode, LanguageCodes
from broker.schemas.common import ExternalId, StrictModel, TrackedRead, UpdateModel, examples

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
URL = r"^https?://\S+$"


class InstitutionCreate(StrictModel):
    model_config = examples(
        {
            "name": "Ministry of Education",
            "country": "Mozambique",
            "kind": "government",
            "languages": ["pt"],
            "external_id": "moz-mined",
        },
    )

    external_id: str | None = ExternalId
    name: str = Field(min_length=1, max_length=300)
    country: CountryCode
    kind: InstitutionKind
    languages: LanguageCodes = Field(min_length=1, description="Working languages, ISO 639-1")
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=320, pattern=EMAIL)
    website: str | None = Field(default=None, max_length=500, pattern=URL)
    description: str | None = Field(default=None, max_length=5000)


class InstitutionUpdate(UpdateModel):
    model_config = examples(
        {"version": 1, "languages": ["pt", "en"], "contact_name": "Direcção de Cooperação"},
    )

    name: str | None = Field(default=None, min_length=1, max_length=300)
    country: CountryCode | None = None
    kind: InstitutionKind | None = None
    languages: LanguageCodes | None = Field(default=None, min_length=1)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=320, pattern=EMAIL)
    website: str | None = Field(default=None, max_length=500, pattern=URL)
    description: str | None = Field(default=None, max_length=5000)


class InstitutionRead(TrackedRead):
    external_id: str | None
    name: str
    country: str
    kind: InstitutionKind
    languages: list[str]
    contact_name: str | None
    contact_email: str | None
    website: str | None
    description: str | None
