from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from orgair_database.values import VISIBLE_TEXT

CompanyName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), VISIBLE_TEXT
]
Ticker = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_upper=True,
        min_length=1,
        max_length=10,
        pattern=r"^[A-Za-z0-9.\-]+$",
    ),
]
PositionFactor = Annotated[float, Field(ge=-1, le=1)]


class CompanyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: CompanyName
    ticker: Ticker | None = None
    industry_id: uuid.UUID
    position_factor: PositionFactor = 0.0


class CompanyUpdate(BaseModel):
    """Fields to change; omitted fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: CompanyName | None = None
    ticker: Ticker | None = None
    industry_id: uuid.UUID | None = None
    position_factor: PositionFactor | None = None

    @field_validator("name", "industry_id", "position_factor")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # `ticker: null` clears the ticker; these fields cannot be cleared.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class CompanyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    ticker: str | None
    industry_id: uuid.UUID
    position_factor: float
    is_deleted: bool
    created_at: datetime
    updated_at: datetime
