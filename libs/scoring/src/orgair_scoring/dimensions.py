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

# The lab's `W_*` defaults: the v2.0 profile's weights when no setting overrides them.
V2_DEFAULT_WEIGHTS = MappingProxyType(
    {
        Dimension.DATA_INFRASTRUCTURE.value: 0.18,
        Dimension.AI_GOVERNANCE.value: 0.15,
        Dimension.TECHNOLOGY_STACK.value: 0.15,
        Dimension.TALENT_SKILLS.value: 0.17,
        Dimension.LEADERSHIP_VISION.value: 0.13,
        Dimension.USE_CASE_PORTFOLIO.value: 0.12,
        Dimension.CULTURE_CHANGE.value: 0.10,
    }
)
