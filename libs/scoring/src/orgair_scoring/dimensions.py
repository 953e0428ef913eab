"""The seven Org-AI-R dimensions and the CS1 (v1.0) weight table."""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class Dimension(StrEnum):
    DATA_INFRASTRUCTURE = "data_infrastructure"
    AI_GOVERNANCE = "ai_governance"
    TECHNOLOGY_STACK = "technology_stack"
    TALENT_SKILLS = "talent_skills"
    LEADERSHIP_VISION = "leadership_vision"
    USE_CASE_PORTFOLIO = "use_case_portfolio"
    CULTURE_CHANGE = "culture_change"


DIMENSIONS: tuple[str, ...] = tuple(d.value for d in Dimension)

V1_WEIGHTS = MappingProxyType(
    {
        Dimension.DATA_INFRASTRUCTURE.value: 0.25,
        Dimension.AI_GOVERNANCE.value: 0.20,
        Dimension.TECHNOLOGY_STACK.value: 0.15,
        Dimension.TALENT_SKILLS.value: 0.15,
        Dimension.LEADERSHIP_VISION.value: 0.10,
        Dimension.USE_CASE_PORTFOLIO.value: 0.10,
        Dimension.CULTURE_CHANGE.value: 0.05,
    }
)
