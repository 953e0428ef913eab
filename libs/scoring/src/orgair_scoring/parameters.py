"""Named, immutable parameter profiles for the Org-AI-R formulas (DESIGN.md §5).

Every number the formulas use lives in a `ScoringParameters` profile: the built-in
`v1.0` (CS1 weights) and `v2.0` (the lab's `W_*` settings), or a custom profile derived
from one of them. `parameters_hash` fingerprints the scoring numbers so a stored score can
name exactly what it was computed with; `value_creation_hash` fingerprints the
value-creation constants (`value_creation`) on their own, so adding them left every
existing `parameters_hash` unchanged.

The bounds validated here are the formulas' mathematical domain (for example alpha ∈ [0, 1]);
the narrower ranges of the lab's settings (alpha ∈ [0.55, 0.70]) are policy and stay in
`orgair_config`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from functools import cached_property
from statistics import NormalDist
from typing import Annotated, Any, Final, Protocol, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
    field_validator,
    model_validator,
)

from orgair_scoring._frozen import FrozenMapping
from orgair_scoring.dimensions import DIMENSIONS, V1_WEIGHTS, V2_DEFAULT_WEIGHTS
from orgair_scoring.value_parameters import ValueCreationParameters

WEIGHT_SUM_TOLERANCE: Final = 0.001
"""The dimension weights must sum to 1 within this (the lab's settings use the same rule)."""

DEFAULT_SECTOR_H_R_BASE: Final = 70.0
"""H^R base for a sector the profile does not list.

DESIGN.md gives H^R bases only for the eight seed sectors. 70 sits below their mean
(74.1) and median (73.5): a company whose sector is unknown gets no more systematic
readiness than a typical seed sector, and supplying the industry's own `h_r_base`
overrides it anyway.
"""

BUILTIN_PROFILE_VERSIONS: Final = ("v1.0", "v2.0")

CUSTOM_VERSION_SUFFIX: Final = "+custom"
"""Appended to the base profile's name when overrides change its numbers but name no version."""

SectorKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
UnitInterval = Annotated[float, Field(ge=0, le=1)]

_FROZEN_STRICT = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class SectorParameters(BaseModel):
    """What the formulas need to know about one sector."""

    model_config = _FROZEN_STRICT

    h_r_base: float = Field(ge=0, le=100, description="HR_base_k: systematic readiness base")
    avg_vr: float = Field(ge=0, le=100, description="Sector average V^R used by the PF")
    timing: float = Field(gt=0, description="Default timing factor for the sector's synergy")


class ScoreSigmas(BaseModel):
    """sigma of each score in the SEM formula (score points)."""

    model_config = _FROZEN_STRICT

    vr: float = Field(default=15.0, ge=0)
    hr: float = Field(default=12.0, ge=0)
    synergy: float = Field(default=10.0, ge=0)
    org_air: float = Field(default=14.0, ge=0)


class ConfidenceParameters(BaseModel):
    """Confidence-interval constants: Spearman-Brown reliability and the normal quantile."""

    model_config = _FROZEN_STRICT

    confidence: float = Field(default=0.95, gt=0, lt=1, description="c in z = Φ⁻¹((1 + c)/2)")
    reliability: float = Field(default=0.30, gt=0, le=1, description="r: one item's reliability")
    max_reliability: float = Field(default=0.99, gt=0, le=1, description="rho_max")
    sigma: ScoreSigmas = ScoreSigmas()


# The seed industries' sectors (DESIGN.md §5). The avg V^R table has no row for energy
# and real_estate, so they take the table's "others" value, 50.
SEED_SECTORS: Final[Mapping[str, SectorParameters]] = FrozenMapping(
    {
        "manufacturing": SectorParameters(h_r_base=72, avg_vr=45, timing=1.0),
        "healthcare": SectorParameters(h_r_base=78, avg_vr=52, timing=1.0),
        "business_services": SectorParameters(h_r_base=75, avg_vr=50, timing=1.0),
        "retail": SectorParameters(h_r_base=70, avg_vr=48, timing=1.0),
        "financial_services": SectorParameters(h_r_base=80, avg_vr=55, timing=1.0),
        "technology": SectorParameters(h_r_base=85, avg_vr=65, timing=1.0),
        "energy": SectorParameters(h_r_base=68, avg_vr=50, timing=1.0),
        "real_estate": SectorParameters(h_r_base=65, avg_vr=50, timing=1.0),
    }
)

OTHER_SECTOR: Final = SectorParameters(h_r_base=DEFAULT_SECTOR_H_R_BASE, avg_vr=50, timing=1.0)
"""The "others" row: used for every sector a profile does not list."""


class ScoringParameters(BaseModel):
    """One complete, immutable set of Org-AI-R parameters.

    Change a profile only by validating a new one (`derive_profile`): the derived
    values (hash, ordered weights, z) are computed on first use and cached.
    """

    model_config = _FROZEN_STRICT

    version: str = Field(min_length=1, max_length=64, description="Profile name")
    alpha: float = Field(ge=0, le=1, description="alpha: weight of V^R against H^R")
    beta: float = Field(ge=0, le=1, description="beta: weight of synergy in Org-AI-R")
    lambda_penalty: float = Field(ge=0, description="lambda: penalty per unit of cv")
    delta_position: float = Field(ge=0, le=1, description="delta: effect of PF on H^R")
    talent_penalty: float = Field(default=0.15, ge=0, description="V^R penalty per unit of TC")
    talent_threshold: float = Field(default=0.25, ge=0, le=1, description="TC penalised above")
    weights: Mapping[str, UnitInterval] = Field(description="Dimension weights, sum 1")
    sectors: Mapping[SectorKey, SectorParameters] = SEED_SECTORS
    default_sector: SectorParameters = OTHER_SECTOR
    timing_bounds: tuple[float, float] = (0.8, 1.2)
    ci: ConfidenceParameters = ConfidenceParameters()
    value_creation: ValueCreationParameters = ValueCreationParameters()

    @field_validator("weights", mode="after")
    @classmethod
    def _seven_weights_summing_to_one(cls, value: Mapping[str, float]) -> Mapping[str, float]:
        unknown = sorted(set(value) - set(DIMENSIONS))
        missing = [name for name in DIMENSIONS if name not in value]
        problems = []
        if missing:
            problems.append(f"missing dimension(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown dimension(s) {', '.join(unknown)}")
        if problems:
            raise ValueError(f"{'; '.join(problems)} (expected: {', '.join(DIMENSIONS)})")
        total = math.fsum(value.values())
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            raise ValueError(f"must sum to 1 (±{WEIGHT_SUM_TOLERANCE}), got {total:.6f}")
        # Stored in DIMENSIONS order so every dump of the profile reads the same.
        return FrozenMapping({name: value[name] for name in DIMENSIONS})

    @field_validator("sectors", mode="after")
    @classmethod
    def _read_only_sectors(
        cls, value: Mapping[str, SectorParameters]
    ) -> Mapping[str, SectorParameters]:
        return FrozenMapping(dict(sorted(value.items())))

    @field_validator("timing_bounds", mode="after")
    @classmethod
    def _ordered_positive_bounds(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 < low <= high:
            raise ValueError(f"must satisfy 0 < lower <= upper, got [{low}, {high}]")
        return value

    @model_validator(mode="after")
    def _sector_timings_within_bounds(self) -> Self:
        # A profile's own timing outside its bounds would be clamped on every score;
        # that is a mistake in the profile, so say so instead.
        low, high = self.timing_bounds
        named = [(f"sectors.{key}", sector) for key, sector in self.sectors.items()]
        named.append(("default_sector", self.default_sector))
        outside = [
            f"{where}.timing: {sector.timing} is outside timing_bounds [{low}, {high}]"
            for where, sector in named
            if not low <= sector.timing <= high
        ]
        if outside:
            raise ValueError("; ".join(outside))
        return self

    @field_serializer("weights", "sectors")
    def _plain_dict(self, value: Mapping[str, Any]) -> dict[str, Any]:
        return dict(value)

    # Derived values are cached_property, not pydantic private attributes: those are read
    # through BaseModel.__getattr__ (about 1 µs each), which score_company would pay
    # several times per company. Frozen fields make caching them safe.

    @cached_property
    def parameters_hash(self) -> str:
        """SHA-256 (hex) of `canonical_json(self)`: identical scoring numbers, identical hash."""
        return hashlib.sha256(canonical_json(self).encode("ascii")).hexdigest()

    @cached_property
    def value_creation_hash(self) -> str:
        """SHA-256 (hex) of `value_creation_json(self)`: the value-creation constants' own
        fingerprint (a projection or plan records it next to `parameters_hash`)."""
        return hashlib.sha256(value_creation_json(self).encode("ascii")).hexdigest()

    @cached_property
    def ordered_weights(self) -> tuple[float, ...]:
        """The weights in `DIMENSIONS` order."""
        return tuple(self.weights[name] for name in DIMENSIONS)

    @cached_property
    def weight_total(self) -> float:
        """Sum of the weights (1 within the tolerance); the formulas divide by it, as
        DESIGN.md writes them. A plain left-to-right sum, shared by both scoring paths."""
        return sum(self.ordered_weights)

    @cached_property
    def interval_z(self) -> float:
        """z = Phi^-1((1 + c)/2) for this profile's confidence level."""
        return interval_z(self.ci.confidence)

    def sector_for(self, sector: str) -> SectorParameters:
        """The sector's parameters, or `default_sector` for a sector the profile does not list."""
        return self.sectors.get(sector, self.default_sector)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A validated copy: pydantic's own `model_copy(update=…)` skips validation and would
        keep this profile's hash for different numbers. (`deep` changes nothing: the copy
        is rebuilt from plain data either way.)"""
        data = self.model_dump()
        data.update(update or {})
        return self.model_validate(data)

    def __hash__(self) -> int:
        # The generated frozen-model hash would hash the (unhashable) mappings.
        return hash(self.parameters_hash)


def interval_z(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level, exactly (no table)."""
    return NormalDist().inv_cdf((1.0 + confidence) / 2.0)


def canonical_json(params: ScoringParameters) -> str:
    """The profile's scoring numbers as canonical JSON: sorted keys, no whitespace, floats
    as their shortest round-trip repr, -0.0 folded into 0.0.

    `version` is left out on purpose: the hash fingerprints the numbers, so the same
    numbers under two names share a hash while `v2.0` under different settings does not.
    `value_creation` is left out too: it has its own `value_creation_json`, and the text
    hashed here is byte for byte what it was before value creation existed.
    """
    return _canonical_text(params.model_dump(mode="json", exclude={"version", "value_creation"}))


def value_creation_json(params: ScoringParameters) -> str:
    """`params.value_creation` as canonical JSON (the same canonical form)."""
    return _canonical_text(params.value_creation.model_dump(mode="json"))


def _canonical_text(data: Mapping[str, Any]) -> str:
    return json.dumps(
        _canonical_numbers(data),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
    )


def parameters_hash(params: ScoringParameters) -> str:
    """SHA-256 hex digest of `canonical_json(params)`."""
    return params.parameters_hash


def _canonical_numbers(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        # Every numeric parameter is a float; `+ 0.0` turns -0.0 into 0.0.
        return float(value) + 0.0
    if isinstance(value, Mapping):
        return {str(key): _canonical_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_numbers(item) for item in value]
    return value


class UnknownProfileError(LookupError):
    """A profile name that is neither built in nor otherwise known."""

    def __init__(self, version: str) -> None:
        super().__init__(
            f"unknown parameter profile {version!r} "
            f"(built-in profiles: {', '.join(BUILTIN_PROFILE_VERSIONS)})"
        )
        self.version = version


class SupportsScoringSettings(Protocol):
    """What `profile_from_settings` reads; `orgair_config.ScoringSettings` satisfies it.

    Declared here so the engine does not import the configuration library.
    """

    @property
    def ALPHA_VR_WEIGHT(self) -> float: ...  # noqa: N802 (the settings' own names)

    @property
    def BETA_SYNERGY_WEIGHT(self) -> float: ...  # noqa: N802

    @property
    def LAMBDA_PENALTY(self) -> float: ...  # noqa: N802

    @property
    def DELTA_POSITION(self) -> float: ...  # noqa: N802

    @property
    def dimension_weights(self) -> Mapping[str, float]: ...


def _builtin(version: str, weights: Mapping[str, float]) -> ScoringParameters:
    return ScoringParameters(
        version=version,
        alpha=0.60,
        beta=0.12,
        lambda_penalty=0.25,
        delta_position=0.15,
        weights=weights,
    )


_BUILTIN_PROFILES: Final[Mapping[str, ScoringParameters]] = FrozenMapping(
    {
        "v1.0": _builtin("v1.0", V1_WEIGHTS),
        "v2.0": _builtin("v2.0", V2_DEFAULT_WEIGHTS),
    }
)


def builtin_profile(version: str) -> ScoringParameters:
    """A built-in profile with its documented defaults (v2.0 as if no `W_*` were set)."""
    try:
        return _BUILTIN_PROFILES[version]
    except KeyError:
        raise UnknownProfileError(version) from None


def profile_from_settings(version: str, settings: SupportsScoringSettings) -> ScoringParameters:
    """The built-in profile `version` as this deployment configures it.

    `v1.0` is fixed by CS1 and ignores the settings; `v2.0` takes alpha, beta, lambda, delta and the
    dimension weights from them.
    """
    base = builtin_profile(version)
    if version != "v2.0":
        return base
    return derive_profile(
        base,
        {
            "alpha": settings.ALPHA_VR_WEIGHT,
            "beta": settings.BETA_SYNERGY_WEIGHT,
            "lambda_penalty": settings.LAMBDA_PENALTY,
            "delta_position": settings.DELTA_POSITION,
            "weights": dict(settings.dimension_weights),
            # Still v2.0: these are the settings v2.0 is defined to read.
            "version": base.version,
        },
    )


def derive_profile(base: ScoringParameters, overrides: Mapping[str, Any]) -> ScoringParameters:
    """A new profile: `overrides` (any part of a `ScoringParameters` JSON) deep-merged over
    `base`, then validated as a whole.

    Nested objects (`sectors`, a sector, `default_sector`, `ci`, `ci.sigma`, `weights`,
    `value_creation`, `value_creation.cost_per_point`) merge key by key; anything else
    replaces. A sector not in `base` must be given in full. Without a `version` in
    `overrides`, changed numbers (scoring or value creation) are named
    `<base version>+custom` so they are never mistaken for the base profile.
    Raises `pydantic.ValidationError` naming the offending field.
    """
    merged = _deep_merge(base.model_dump(), overrides)
    derived = ScoringParameters.model_validate(merged)
    same_numbers = (
        derived.parameters_hash == base.parameters_hash
        and derived.value_creation_hash == base.value_creation_hash
    )
    if "version" in overrides or same_numbers:
        return derived
    version = base.version
    if not version.endswith(CUSTOM_VERSION_SUFFIX):
        version += CUSTOM_VERSION_SUFFIX
    return ScoringParameters.model_validate({**merged, "version": version})


def _deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = _deep_merge(current, value)
        else:
            merged[key] = value
    return merged
