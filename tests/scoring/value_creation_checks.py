"""Checks of improvement plans computed with the engine alone (no planner internals)."""

from __future__ import annotations

import numpy as np

from orgair_scoring import (
    DIMENSIONS,
    CompanyInputs,
    ImprovementPlan,
    ScoringParameters,
    score_company,
)


def lagrangian_bound(
    plan: ImprovementPlan, company: CompanyInputs, params: ScoringParameters
) -> float | None:
    """A lower bound on the cost of any plan whose h = M - λ·sigma_w is at least the plan's,
    or None when the plan has no dimension strictly between its bounds (or sigma_w ≈ 0).

    h is concave, so for any μ ≥ 0 no such plan costs less than
    L(μ) = cost + Σ_i min(g_i·(D_i - D'_i), g_i·(100 - D'_i)), g = c - μ·∇h(D'), with
    ∇h_i = p_i·(1 - λ·(D'_i - M)/sigma_w) (DESIGN.md §5's dV^R/dD_i before the talent
    factor). At an optimum μ = c_j/∇h_j for every dimension j strictly between its
    bounds, and L(μ) = cost; the best of those μ is returned."""
    result = score_company(plan.planned_inputs(company), params)
    today = np.array([company.dimensions[name] for name in DIMENSIONS])
    planned = np.array([plan.dimensions[name].target for name in DIMENSIONS])
    costs = np.array([params.value_creation.cost_per_point[name] for name in DIMENSIONS])
    weights = np.array(params.ordered_weights) / params.weight_total
    mean, spread = result.weighted_mean, result.cv * result.weighted_mean
    if spread <= 1e-3:
        return None
    gradient = weights * (1 - params.lambda_penalty * (planned - mean) / spread)
    free = (planned > today + 1e-6) & (planned < 100 - 1e-6) & (weights > 0) & (gradient > 0)
    bounds = []
    for index in np.flatnonzero(free):
        reduced = costs - costs[index] / gradient[index] * gradient
        box = np.minimum(reduced * (today - planned), reduced * (100 - planned))
        bounds.append(plan.investment_usd + float(box.sum()))
    return max(bounds) if bounds else None
