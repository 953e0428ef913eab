from __future__ import annotations

from typing import Annotated, Literal, Self, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from orgair_database.values import VISIBLE_MULTILINE_TEXT
from orgair_domain.scores.schemas import ScoreOut
from orgair_domain.value_creation.schemas import PlanOut

Comment = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    VISIBLE_MULTILINE_TEXT,
]

ReviewKind: TypeAlias = Literal["score", "value_creation_plan"]

ReviewItem: TypeAlias = Annotated[ScoreOut | PlanOut, Field(discriminator="kind")]
"""One entry of the review queue: a score or a value-creation plan, told apart by `kind`."""


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    comment: Comment | None = None

    @model_validator(mode="after")
    def _reject_needs_a_reason(self) -> Self:
        if self.decision == "reject" and not self.comment:
            raise ValueError("comment is required when rejecting a score or plan")
        return self
