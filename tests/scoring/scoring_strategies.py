"""Hypothesis strategies for the scoring tests: companies and valid parameter profiles."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from orgair_scoring import (
    DIMENSIONS,
    CompanyInputs,
    ScoringParameters,
    builtin_profile,
    derive_profile,
)

# Seed sectors, the "others" fallback under a few spellings, and case variants.
SECTOR_LABELS = (
    "technology",
    "financial_services",
    "healthcare",
    "business_services",
    "retail",
    "manufacturing",
    "energy",
    "real_estate",
    "mining",
    "Technology",
    " RETAIL ",
)

scores = st.floats(min_value=0, max_value=100, allow_nan=False)
unit = st.floats(min_value=0, max_value=1, allow_nan=False)


def dimension_maps(
    values: st.SearchStrategy[float] = scores,
) -> st.SearchStrategy[dict[str, float]]:
    return st.fixed_dictionaries({name: values for name in DIMENSIONS})


@st.composite
def company_data(draw: st.DrawFn) -> dict[str, Any]:
    """CompanyInputs as the JSON a caller would send (every optional sometimes absent)."""
    return {
        "id": draw(st.text(min_size=1, max_size=12)),
        "sector": draw(st.sampled_from(SECTOR_LABELS)),
        "dimensions": draw(dimension_maps()),
        "talent_concentration": draw(unit),
        "market_cap_percentile": draw(unit),
        "h_r_base": draw(st.none() | scores),
        "alignment": draw(st.none() | unit),
        "timing_factor": draw(st.none() | st.floats(min_value=0.01, max_value=5)),
        "evidence_count": draw(st.integers(min_value=0, max_value=100_000)),
    }


companies = company_data().map(CompanyInputs.model_validate)


@st.composite
def weight_maps(draw: st.DrawFn) -> dict[str, float]:
    """Seven weights summing to 1 (some may be 0)."""
    raw = draw(st.lists(st.integers(min_value=0, max_value=1000), min_size=7, max_size=7))
    if not any(raw):
        raw[draw(st.integers(min_value=0, max_value=6))] = 1
    total = sum(raw)
    return {name: share / total for name, share in zip(DIMENSIONS, raw, strict=True)}


@st.composite
def profile_overrides(draw: st.DrawFn) -> dict[str, Any]:
    """A partial ScoringParameters JSON spanning the whole valid domain."""
    overrides: dict[str, Any] = {
        "alpha": draw(unit),
        "beta": draw(unit),
        "lambda_penalty": draw(st.floats(min_value=0, max_value=2)),
        "delta_position": draw(unit),
        "talent_penalty": draw(st.floats(min_value=0, max_value=2)),
        "talent_threshold": draw(unit),
        "weights": draw(weight_maps()),
        "ci": {
            "confidence": draw(st.floats(min_value=0.5, max_value=0.999)),
            "reliability": draw(st.floats(min_value=0.01, max_value=1)),
            "max_reliability": draw(st.floats(min_value=0.5, max_value=1)),
            "sigma": {
                name: draw(st.floats(min_value=0, max_value=30))
                for name in ("vr", "hr", "synergy", "org_air")
            },
        },
    }
    if draw(st.booleans()):
        overrides["sectors"] = {
            "retail": {
                "avg_vr": draw(scores),
                "h_r_base": draw(scores),
                "timing": draw(st.floats(min_value=0.8, max_value=1.2)),
            }
        }
    return overrides


profiles: st.SearchStrategy[ScoringParameters] = st.one_of(
    st.sampled_from([builtin_profile("v1.0"), builtin_profile("v2.0")]),
    st.builds(
        derive_profile,
        st.sampled_from([builtin_profile("v1.0"), builtin_profile("v2.0")]),
        profile_overrides(),
    ),
)
