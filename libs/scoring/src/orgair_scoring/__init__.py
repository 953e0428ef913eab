"""The pure Org-AI-R scoring engine: no I/O, no framework imports.

`score_company` scores one company; `score_batch` scores many at once with NumPy and
returns the same numbers. Both take a `ScoringParameters` profile: `builtin_profile`,
`profile_from_settings` (v2.0 as configured) or `derive_profile` (custom).
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
)

__all__ = [
    "BUILTIN_PROFILE_VERSIONS",
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
    "IntervalColumns",
    "ScoreIntervals",
    "ScoreResult",
    "ScoreSigmas",
    "ScoringParameters",
    "SectorParameters",
    "SupportsScoringSettings",
    "UnknownProfileError",
    "builtin_profile",
    "canonical_json",
    "derive_profile",
    "encode_sectors",
    "parameters_hash",
    "profile_from_settings",
    "score_batch",
    "score_company",
]
