from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from orgair_database.values import VISIBLE_MULTILINE_TEXT

Comment = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    VISIBLE_MULTILINE_TEXT,
]


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    comment: Comment | None = None

    @model_validator(mode="after")
    def _reject_needs_a_reason(self) -> Self:
        if self.decision == "reject" and not self.comment:
            raise ValueError("comment is required when rejecting a score")
        return self
