from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from orgair_database.values import StoredCount
from orgair_scoring import Dimension

Score = Annotated[float, Field(ge=0, le=100)]
Weight = Annotated[float, Field(ge=0, le=1)]
Confidence = Annotated[float, Field(ge=0, le=1)]
EvidenceCount = StoredCount


class DimensionScoreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimension: Dimension
    score: Score
    weight: Weight | None = Field(
        default=None, description="Defaults to the active parameter profile's weight."
    )
    confidence: Confidence = 0.8
    evidence_count: EvidenceCount = 0


class DimensionScoreBulkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: list[DimensionScoreCreate] = Field(min_length=1, max_length=len(Dimension))


class DimensionScoreUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: Score | None = None
    weight: Weight | None = None
    confidence: Confidence | None = None
    evidence_count: EvidenceCount | None = None


class DimensionScoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    assessment_id: uuid.UUID
    dimension: Dimension
    score: float
    weight: float
    confidence: float
    evidence_count: int
    created_at: datetime


class DimensionWeights(BaseModel):
    param_version: str
    weights: dict[Dimension, float]
    total: float
