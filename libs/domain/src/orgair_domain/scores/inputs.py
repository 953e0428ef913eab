"""Turning an assessment into the engine's `CompanyInputs`.

Scoring reads an assessment's scoring inputs, its seven dimension scores and its
company's industry. The synchronous API passes ORM rows, the worker light copies of
their columns (`bulk_inputs`); both satisfy the protocols here, so one function
builds the inputs wherever a score is computed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from orgair_domain.assessments.status import AssessmentStatus
from orgair_scoring import DIMENSIONS, CompanyInputs

# Only an assessment whose evidence no longer changes is scored.
SCORABLE_STATUSES = frozenset({AssessmentStatus.SUBMITTED, AssessmentStatus.APPROVED})


class IncompleteAssessment(ValueError):
    """The assessment lacks what scoring needs; `problems` names each missing piece."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(detail for _, detail in problems))
        self.problems = problems


class AssessmentFacts(Protocol):
    """What scoring reads of an assessment (an `Assessment` row, or the worker's lighter
    copy of its columns)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def company_id(self) -> uuid.UUID: ...
    @property
    def talent_concentration(self) -> float | None: ...
    @property
    def market_cap_percentile(self) -> float | None: ...
    @property
    def alignment(self) -> float | None: ...
    @property
    def timing_factor(self) -> float | None: ...


class IndustryFacts(Protocol):
    @property
    def sector(self) -> str: ...
    @property
    def h_r_base(self) -> float: ...


class DimensionFacts(Protocol):
    @property
    def dimension(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def evidence_count(self) -> int: ...


def build_inputs(
    assessment: AssessmentFacts, industry: IndustryFacts, rows: Sequence[DimensionFacts]
) -> CompanyInputs:
    """CompanyInputs for an assessment; raises IncompleteAssessment naming what is missing."""
    by_dimension = {row.dimension: row for row in rows}
    problems = [
        (f"/dimension_scores/{name}", f"missing dimension score: {name}")
        for name in DIMENSIONS
        if name not in by_dimension
    ]
    for field in ("talent_concentration", "market_cap_percentile"):
        if getattr(assessment, field) is None:
            problems.append((f"/scoring_inputs/{field}", f"missing scoring input: {field}"))
    if problems:
        raise IncompleteAssessment(problems)
    return CompanyInputs(
        id=str(assessment.company_id),
        sector=industry.sector,
        h_r_base=industry.h_r_base,
        dimensions={name: by_dimension[name].score for name in DIMENSIONS},
        talent_concentration=assessment.talent_concentration,
        market_cap_percentile=assessment.market_cap_percentile,
        alignment=assessment.alignment,
        timing_factor=assessment.timing_factor,
        evidence_count=sum(row.evidence_count for row in rows),
    )
