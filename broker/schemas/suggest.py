"""Code suggestions for a text that may not be stored yet."""

from __future__ import annotations

from pydantic import BaseModel, Field

from broker.schemas.codes import LanguageCode
from broker.schemas.common import StrictModel, examples


class SuggestBody(StrictModel):
    model_config = examples(
        {
            "title": "Seguro de salud para trabajadores informales",
            "description": (
                "La mitad de los trabajadores del país no cotiza a ningún seguro. Queremos aprender "
                "cómo otros países afiliaron a trabajadores informales."
            ),
            "language": "es",
        },
    )

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=20_000)
    language: LanguageCode | None = Field(
        default=None, description="Language of the text (ISO 639-1); informative only, any language is read"
    )


class SuggestedRead(BaseModel):
    code: str = Field(description="Sector code, SDG number, SDG target, modality or outcome code")
    name: str
    confidence: float = Field(ge=0, le=1, description="Calibrated probability that the code applies")


class SuggestionsRead(BaseModel):
    sectors: list[SuggestedRead]
    sdgs: list[SuggestedRead]
    sdg_targets: list[SuggestedRead]
    modalities: list[SuggestedRead]
    outcomes: list[SuggestedRead]
    confident_at: float = Field(description="Suggestions at or above this confidence count as confident")
    model_id: str = Field(description="The embedding model that read the text")
