"""The answer a model must give for one dimension, checked against what it was given.

The schema is sent to the provider as its structured-output format and every answer
is validated here: the justification must cite, by label, only the excerpts the
request supplied (in `citations` and inline, `[E2]`). A citation of anything else is
an error of type `citation_not_supplied`; the LLM layer sends the answer back once
with that error (never the answer's values), then reports it.
"""

from __future__ import annotations

import re
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from orgair_domain.llm_refusals import CITATION_NOT_SUPPLIED

INLINE_CITATION = re.compile(r"\[(E\d{1,3})\]")
LABELS_CONTEXT = "labels"


def _supplied(info: ValidationInfo) -> list[str]:
    context = info.context or {}
    labels = context.get(LABELS_CONTEXT, [])
    return [str(label) for label in labels]


def _refuse(unknown: list[str], supplied: list[str]) -> PydanticCustomError:
    return PydanticCustomError(
        CITATION_NOT_SUPPLIED,
        "cites {unknown}, which the request did not supply; cite only {supplied}",
        {"unknown": ", ".join(unknown), "supplied": ", ".join(supplied) or "nothing"},
    )


class DimensionJustification(BaseModel):
    """The justification of one dimension score, grounded in the supplied evidence."""

    model_config = ConfigDict(extra="forbid")

    justification: str = Field(
        min_length=1,
        max_length=4000,
        description="3 to 6 sentences on whether and how the evidence supports the score, "
        "citing excerpts inline by label, e.g. [E1]",
    )
    citations: list[str] = Field(
        min_length=1,
        max_length=20,
        description='Labels of every excerpt the justification relies on, e.g. ["E1", "E3"]',
    )

    @field_validator("citations")
    @classmethod
    def _cites_only_what_was_supplied(cls, labels: list[str], info: ValidationInfo) -> list[str]:
        supplied = _supplied(info)
        unknown = [label for label in dict.fromkeys(labels) if label not in supplied]
        if unknown:
            raise _refuse(unknown, supplied)
        return list(dict.fromkeys(labels))

    @model_validator(mode="after")
    def _inline_citations_too(self, info: ValidationInfo) -> Self:
        supplied = _supplied(info)
        inline = list(dict.fromkeys(INLINE_CITATION.findall(self.justification)))
        unknown = [label for label in inline if label not in supplied]
        if unknown:
            raise _refuse(unknown, supplied)
        # An excerpt cited inline is cited, whether or not the list repeats it.
        self.citations = list(dict.fromkeys([*self.citations, *inline]))
        return self
