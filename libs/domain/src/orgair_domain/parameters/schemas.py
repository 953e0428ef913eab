from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# A profile's name wherever one is given: created, based on, scored with, looked up.
ProfileName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
]


class ProfileOut(BaseModel):
    version: str
    parameters_hash: str
    source: Literal["builtin", "custom"]
    is_default: bool
    parameters: dict[str, Any]
    created_by: str | None = None
    created_at: datetime | None = None


class ProfileCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: ProfileName = Field(description="Name of the new profile (not v1.0/v2.0)")
    base: ProfileName = Field(default="v2.0", description="Profile the overrides apply to")
    overrides: dict[str, Any] = Field(
        description="Any part of a ScoringParameters document; nested objects merge key by key"
    )
