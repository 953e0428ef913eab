"""The Org-AI-R formulas for one company (DESIGN.md §5, CS3).

Each formula is its own function so it can be checked against hand-worked numbers.
`orgair_scoring.batch` evaluates the same expressions on NumPy columns in the same
order of operations, so the two paths agree to the last bit in practice (and to 1e-9
by contract).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from orgair_scoring.dimensions import DIMENSIONS
from orgair_scoring.models import CompanyInputs, ScoreIntervals, ScoreResult
from orgair_scoring.parameters import ScoringParameters

SCORE_MIN: Final = 0.0
SCORE_MAX: Final = 100.0

# Position factor: PF = 0.6·clamp((V^R - avgV^R)/50) + 0.4·(mcap - 0.5)·2. These are part
# of the formula's definition, not of a parameter profile (DESIGN.md lists what a profile
# holds, and these are not among them).
PF_VR_SHARE: Final = 0.6
PF_MARKET_CAP_SHARE: Final = 0.4
PF_VR_GAP_SCALE: Final = 50.0


def clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def weighted_mean_and_cv(
    scores: Sequence[float], weights: Sequence[float], weight_total: float
) -> tuple[float, float]:
    """M = sum(w·D) / sum(w) and cv = sigma_w / M, sigma_w² = sum(w·(D - M)²) / sum(w);
    cv = 0 when M = 0.

    M is accumulated relative to the first score, M = D_0 + sum(w·(D - D_0)) / sum(w),
    which is the same number mathematically but makes equal scores give exactly M = D
    and cv = 0 (a plain sum(w·D) picks up rounding). The spread takes a second pass over
    the deviations rather than E[D²] - M², which would cancel catastrophically.
    """
    reference = scores[0]
    shifted_sum = 0.0
    for weight, score in zip(weights, scores, strict=True):
        shifted_sum += weight * (score - reference)
    mean = reference + shifted_sum / weight_total
    squared_spread = 0.0
    for weight, score in zip(weights, scores, strict=True):
        deviation = score - mean
        squared_spread += weight * (deviation * deviation)
    std = math.sqrt(squared_spread / weight_total)
    cv = std / mean if mean > 0 else 0.0
    return mean, cv


def vr_score(
    weighted_mean: float,
    cv: float,
    talent_concentration: float,
    *,
    lambda_penalty: float,
    talent_penalty: float,
    talent_threshold: float,
) -> float:
    """V^R = clamp₀¹⁰⁰(M · clamp₀¹(1 - λ·cv) · clamp₀¹(1 - 0.15·max(0, TC - 0.25)))."""
    dispersion_factor = clamp(1.0 - lambda_penalty * cv, 0.0, 1.0)
    excess_concentration = max(0.0, talent_concentration - talent_threshold)
    talent_factor = clamp(1.0 - talent_penalty * excess_concentration, 0.0, 1.0)
    return clamp(weighted_mean * dispersion_factor * talent_factor, SCORE_MIN, SCORE_MAX)


def position_factor(vr: float, sector_avg_vr: float, market_cap_percentile: float) -> float:
    """PF = clamp₋₁¹(0.6·clamp₋₁¹((V^R - avgV^R_k)/50) + 0.4·(mcap_pct - 0.5)·2)."""
    vr_gap = clamp((vr - sector_avg_vr) / PF_VR_GAP_SCALE, -1.0, 1.0)
    market_cap_term = PF_MARKET_CAP_SHARE * (market_cap_percentile - 0.5) * 2.0
    return clamp(PF_VR_SHARE * vr_gap + market_cap_term, -1.0, 1.0)


def hr_score(h_r_base: float, position: float, *, delta_position: float) -> float:
    """H^R = clamp₀¹⁰⁰(HR_base · (1 + δ·PF))."""
    return clamp(h_r_base * (1.0 + delta_position * position), SCORE_MIN, SCORE_MAX)


def default_alignment(vr: float, hr: float) -> float:
    """Alignment when none is given: 1 - |V^R - H^R|/100."""
    return 1.0 - abs(vr - hr) / 100.0


def synergy_score(vr: float, hr: float, alignment: float, timing: float) -> float:
    """Synergy = clamp₀¹⁰⁰(V^R·H^R/100 · alignment · timing)."""
    return clamp(vr * hr / 100.0 * alignment * timing, SCORE_MIN, SCORE_MAX)


def org_air_score(vr: float, hr: float, synergy: float, *, alpha: float, beta: float) -> float:
    """Org-AI-R = clamp₀¹⁰⁰((1 - β)·[alpha·V^R + (1 - alpha)·H^R] + β·Synergy)."""
    blended = alpha * vr + (1.0 - alpha) * hr
    return clamp((1.0 - beta) * blended + beta * synergy, SCORE_MIN, SCORE_MAX)


def reliability(evidence_count: int, *, item_reliability: float, max_reliability: float) -> float:
    """Spearman-Brown: rho = min(rho_max, n·r / (1 + (n - 1)·r)), n = max(1, evidence count)."""
    n = max(1, evidence_count)
    return min(max_reliability, n * item_reliability / (1.0 + (n - 1) * item_reliability))


def confidence_interval(score: float, half_width: float) -> tuple[float, float]:
    """score ± half_width, clamped to 0..100."""
    return (
        clamp(score - half_width, SCORE_MIN, SCORE_MAX),
        clamp(score + half_width, SCORE_MIN, SCORE_MAX),
    )


def score_company(inputs: CompanyInputs, params: ScoringParameters) -> ScoreResult:
    """Org-AI-R of one company under one parameter profile, with every intermediate."""
    scores = [inputs.dimensions[name] for name in DIMENSIONS]
    mean, cv = weighted_mean_and_cv(scores, params.ordered_weights, params.weight_total)
    vr = vr_score(
        mean,
        cv,
        inputs.talent_concentration,
        lambda_penalty=params.lambda_penalty,
        talent_penalty=params.talent_penalty,
        talent_threshold=params.talent_threshold,
    )
    sector = params.sector_for(inputs.sector)
    position = position_factor(vr, sector.avg_vr, inputs.market_cap_percentile)
    h_r_base = sector.h_r_base if inputs.h_r_base is None else inputs.h_r_base
    hr = hr_score(h_r_base, position, delta_position=params.delta_position)
    alignment = default_alignment(vr, hr) if inputs.alignment is None else inputs.alignment
    timing_low, timing_high = params.timing_bounds
    timing = sector.timing if inputs.timing_factor is None else inputs.timing_factor
    timing = clamp(timing, timing_low, timing_high)
    synergy = synergy_score(vr, hr, alignment, timing)
    org_air = org_air_score(vr, hr, synergy, alpha=params.alpha, beta=params.beta)

    ci = params.ci
    sem_scale = math.sqrt(
        1.0
        - reliability(
            inputs.evidence_count,
            item_reliability=ci.reliability,
            max_reliability=ci.max_reliability,
        )
    )
    z = params.interval_z
    # Half-width z·sigma·sqrt(1 - rho), grouped as (z·sigma)·sqrt(1 - rho) like the batch path.
    intervals = ScoreIntervals(
        vr=confidence_interval(vr, z * ci.sigma.vr * sem_scale),
        hr=confidence_interval(hr, z * ci.sigma.hr * sem_scale),
        synergy=confidence_interval(synergy, z * ci.sigma.synergy * sem_scale),
        org_air=confidence_interval(org_air, z * ci.sigma.org_air * sem_scale),
    )
    # Validated construction: pydantic-core checks these plain floats faster than
    # model_construct's Python loop would copy them.
    return ScoreResult(
        id=inputs.id,
        weighted_mean=mean,
        cv=cv,
        vr=vr,
        position_factor=position,
        hr=hr,
        alignment=alignment,
        timing_factor=timing,
        synergy=synergy,
        org_air=org_air,
        ci=intervals,
        parameters_version=params.version,
        parameters_hash=params.parameters_hash,
    )
