"""Every table of the scoring API, imported in one place so `Base.metadata` is complete
(Alembic's env and the tests read it from here)."""

from orgair_database import Base
from orgair_scoring_api.assessments.models import Assessment
from orgair_scoring_api.companies.models import Company
from orgair_scoring_api.dimension_scores.models import DimensionScore
from orgair_scoring_api.funds.models import Fund, FundMembership
from orgair_scoring_api.industries.models import Industry
from orgair_scoring_api.jobs.models import ScoringJob, ScoringJobFailure
from orgair_scoring_api.parameters.models import ParameterProfile
from orgair_scoring_api.reviews.models import ReviewDecision
from orgair_scoring_api.scores.models import OrgAirScore

metadata = Base.metadata

__all__ = [
    "Assessment",
    "Company",
    "DimensionScore",
    "Fund",
    "FundMembership",
    "Industry",
    "OrgAirScore",
    "ParameterProfile",
    "ReviewDecision",
    "ScoringJob",
    "ScoringJobFailure",
    "metadata",
]
