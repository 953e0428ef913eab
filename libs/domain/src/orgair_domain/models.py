"""Every table of the domain, imported in one place so `Base.metadata` is complete
(Alembic's env and the tests read it from here)."""

from orgair_database import Base
from orgair_domain.assessments.models import Assessment
from orgair_domain.companies.models import Company
from orgair_domain.dimension_scores.models import DimensionScore
from orgair_domain.evidence.models import Evidence, EvidenceChunk, EvidenceDimension
from orgair_domain.funds.models import Fund, FundMembership
from orgair_domain.ic_memos.models import IcMemo
from orgair_domain.industries.models import Industry
from orgair_domain.jobs.models import ScoringJob, ScoringJobFailure
from orgair_domain.justifications.models import Justification, JustificationCitation
from orgair_domain.parameters.models import ParameterProfile
from orgair_domain.scores.models import OrgAirScore, ReviewDecision
from orgair_domain.value_creation.models import PlanReviewDecision, ValueCreationPlan

metadata = Base.metadata

__all__ = [
    "Assessment",
    "Company",
    "DimensionScore",
    "Evidence",
    "EvidenceChunk",
    "EvidenceDimension",
    "Fund",
    "FundMembership",
    "IcMemo",
    "Industry",
    "Justification",
    "JustificationCitation",
    "OrgAirScore",
    "ParameterProfile",
    "PlanReviewDecision",
    "ReviewDecision",
    "ScoringJob",
    "ScoringJobFailure",
    "ValueCreationPlan",
    "metadata",
]
