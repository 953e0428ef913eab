"""The pure Org-AI-R scoring engine: no I/O, no framework imports.

`score_company` scores one company; `score_batch` scores many at once with NumPy and
returns the same numbers. Both take a `ScoringParameters` profile: `builtin_profile`,
`profile_from_settings` (v2.0 as configured) or `derive_profile` (custom).

Value creation (DESIGN.md §5) uses the same profile's `value_creation` part:
`project_ebitda` / `project_ebitda_batch` project the EBITDA impact of a target score,
`improvement_plan` / `improvement_plans` find the least-cost dimension scores reaching it.
"""

from orgair_scoring.batch import (
    BatchIntervals,
    BatchResult,
    ColumnValidationError,
    CompanyColumns,
    IntervalColumns,
    encode_sectors,
    score_batch,
)
from orgair_scoring.dimensions import DIMENSIONS, V1_WEIGHTS, V2_DEFAULT_WEIGHTS, Dimension
from orgair_scoring.ebitda import (
    EbitdaColumns,
    EbitdaProjection,
    check_projection_inputs,
    project_ebitda,
    project_ebitda_batch,
)
from orgair_scoring.engine import score_company
from orgair_scoring.models import CompanyInputs, ScoreIntervals, ScoreResult
from orgair_scoring.parameters import (
    BUILTIN_PROFILE_VERSIONS,
    DEFAULT_SECTOR_H_R_BASE,
    ConfidenceParameters,
    ScoreSigmas,
    ScoringParameters,
    SectorParameters,
    SupportsScoringSettings,
    UnknownProfileError,
    builtin_profile,
    canonical_json,
    derive_profile,
    parameters_hash,
    profile_from_settings,
    value_creation_json,
)
from orgair_scoring.plan import (
    DimensionPlan,
    ImprovementPlan,
    PlanColumns,
    check_plannable,
    improvement_plan,
    improvement_plans,
)
from orgair_scoring.value_errors import ValueCreationInputError, check_score
from orgair_scoring.value_parameters import DEFAULT_COST_PER_POINT, ValueCreationParameters

__all__ = [
    "BUILTIN_PROFILE_VERSIONS",
    "DEFAULT_COST_PER_POINT",
    "DEFAULT_SECTOR_H_R_BASE",
    "DIMENSIONS",
    "V1_WEIGHTS",
    "V2_DEFAULT_WEIGHTS",
    "BatchIntervals",
    "BatchResult",
    "ColumnValidationError",
    "CompanyColumns",
    "CompanyInputs",
    "ConfidenceParameters",
    "Dimension",
    "DimensionPlan",
    "EbitdaColumns",
    "EbitdaProjection",
    "ImprovementPlan",
    "IntervalColumns",
    "PlanColumns",
    "ScoreIntervals",
    "ScoreResult",
    "ScoreSigmas",
    "ScoringParameters",
    "SectorParameters",
    "SupportsScoringSettings",
    "UnknownProfileError",
    "ValueCreationInputError",
    "ValueCreationParameters",
    "builtin_profile",
    "canonical_json",
    "check_plannable",
    "check_projection_inputs",
    "check_score",
    "derive_profile",
    "encode_sectors",
    "improvement_plan",
    "improvement_plans",
    "parameters_hash",
    "profile_from_settings",
    "project_ebitda",
    "project_ebitda_batch",
    "score_batch",
    "score_company",
    "value_creation_json",
]
