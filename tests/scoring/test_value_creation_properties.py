"""Properties of improvement plans over the input and profile domain (Hypothesis).

The references here are computed independently of the planner, with the engine alone:
single-dimension and uniform plans by scanning their path and bisecting the first step
that reaches the target, and a Lagrangian lower bound from DESIGN.md's gradient of V^R.
Comparisons allow 1e-9 of the plan (plus a millionth of a dollar): the planner aims
~1e-12 above the target so that the engine's rounding never leaves a plan short, and a
certified optimum is exact to 1e-9.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scoring_strategies import companies, profile_overrides
from value_creation_checks import lagrangian_bound

from orgair_scoring import (
    DIMENSIONS,
    CompanyColumns,
    CompanyInputs,
    ImprovementPlan,
    ScoringParameters,
    builtin_profile,
    derive_profile,
    improvement_plan,
    improvement_plans,
    score_batch,
    score_company,
)

PROPERTIES = settings(max_examples=150, deadline=None)
RELATIVE = 1e-9
ABSOLUTE_USD = 1e-6
SCAN_POINTS = 257
BISECTION_STEPS = 60


@st.composite
def plannable_overrides(draw: st.DrawFn) -> dict[str, Any]:
    """Any profile the planner accepts: (1 - β)·alpha ≥ β·t_max/4 holds for alpha ≥ 0.4, β ≤ 0.4
    and the default timing bounds; any weights (some zero), λ, costs."""
    overrides: dict[str, Any] = draw(profile_overrides())
    overrides["alpha"] = draw(st.floats(min_value=0.4, max_value=1))
    overrides["beta"] = draw(st.floats(min_value=0, max_value=0.4))
    overrides["value_creation"] = {
        "cost_per_point": {
            name: draw(st.floats(min_value=100, max_value=100_000)) for name in DIMENSIONS
        }
    }
    return overrides


BASES = [builtin_profile("v1.0"), builtin_profile("v2.0")]
plannable_profiles: st.SearchStrategy[ScoringParameters] = st.one_of(
    st.sampled_from(BASES),
    st.builds(derive_profile, st.sampled_from(BASES), plannable_overrides()),
)
targets = st.floats(min_value=0, max_value=100)


def scores_of(company: CompanyInputs) -> np.ndarray:
    return np.array([company.dimensions[name] for name in DIMENSIONS])


def org_air_of(
    company: CompanyInputs, variants: np.ndarray, params: ScoringParameters
) -> np.ndarray:
    """The engine's Org-AI-R of `company` with each row of `variants` as its dimensions."""
    columns = CompanyColumns.from_inputs([company] * len(variants))
    moved = CompanyColumns(
        ids=columns.ids,
        sector_names=columns.sector_names,
        sector_codes=columns.sector_codes,
        dimensions={name: variants[:, index] for index, name in enumerate(DIMENSIONS)},
        talent_concentration=columns.talent_concentration,
        market_cap_percentile=columns.market_cap_percentile,
        evidence_count=columns.evidence_count,
        h_r_base=columns.h_r_base,
        alignment=columns.alignment,
        timing_factor=columns.timing_factor,
    )
    return score_batch(moved, params).org_air


def first_step_reaching(
    company: CompanyInputs,
    path: Any,
    length: float,
    target: float,
    params: ScoringParameters,
) -> float | None:
    """The smallest step s ∈ [0, length] (to 60 bisections) with Org-AI-R(path(s)) ≥ target
    among the first scanned bracket, or None if no scanned point reaches it."""
    steps = np.linspace(0.0, length, SCAN_POINTS)
    reached = org_air_of(company, np.array([path(s) for s in steps]), params) >= target
    if not reached.any():
        return None
    first = int(np.argmax(reached))
    if first == 0:
        return 0.0
    low, high = float(steps[first - 1]), float(steps[first])
    for _ in range(BISECTION_STEPS):
        middle = 0.5 * (low + high)
        if org_air_of(company, np.array([path(middle)]), params)[0] >= target:
            high = middle
        else:
            low = middle
    return high


def costs_of(params: ScoringParameters) -> np.ndarray:
    return np.array([params.value_creation.cost_per_point[name] for name in DIMENSIONS])


def at_most(cost: float, reference: float) -> bool:
    return cost <= reference * (1 + RELATIVE) + ABSOLUTE_USD


@PROPERTIES
@given(company=companies, target=targets, params=plannable_profiles)
def test_a_plan_reaches_the_target_when_rescored_whenever_anything_can(
    company: CompanyInputs, target: float, params: ScoringParameters
) -> None:
    plan = improvement_plan(company, target, params)
    today = scores_of(company)
    planned = np.array([plan.dimensions[name].target for name in DIMENSIONS])
    assert np.all(planned >= today)
    assert np.all(planned <= 100)
    weights = np.array(params.ordered_weights)
    assert np.all(planned[weights == 0] == today[weights == 0])

    rescored = score_company(plan.planned_inputs(company), params).org_air
    assert abs(rescored - plan.projected_org_air) <= 1e-9
    assert plan.reachable == (plan.projected_org_air >= target)
    highest = org_air_of(company, np.where(weights > 0, 100.0, today)[None, :], params)[0]
    if highest >= target + 1e-9:
        assert plan.reachable
        assert rescored >= target - 1e-12
    if highest < target - 1e-9:
        assert not plan.reachable
        # The plan to the highest reachable score, then.
        assert plan.projected_org_air >= highest - 1e-9


@PROPERTIES
@given(company=companies, target=targets, params=plannable_profiles)
def test_a_plan_never_costs_more_than_a_single_dimension_or_the_uniform_plan(
    company: CompanyInputs, target: float, params: ScoringParameters
) -> None:
    plan = improvement_plan(company, target, params)
    assume(plan.reachable)
    today = scores_of(company)
    costs = costs_of(params)

    for index in range(7):
        headroom = 100.0 - today[index]
        if headroom <= 0:
            continue

        def single(step: float, index: int = index) -> np.ndarray:
            raised: np.ndarray = today.copy()
            raised[index] = min(raised[index] + step, 100.0)
            return raised

        step = first_step_reaching(company, single, headroom, target, params)
        if step is not None:
            assert at_most(plan.investment_usd, costs[index] * step), DIMENSIONS[index]

    def uniform(step: float) -> np.ndarray:
        return np.minimum(today + step, 100.0)

    step = first_step_reaching(company, uniform, 100.0 - today.min(), target, params)
    if step is not None:
        assert at_most(plan.investment_usd, float(costs @ (uniform(step) - today)))


@PROPERTIES
@given(company=companies, first=targets, second=targets, params=plannable_profiles)
def test_a_higher_target_never_costs_less(
    company: CompanyInputs, first: float, second: float, params: ScoringParameters
) -> None:
    lower, higher = sorted((first, second))
    plans = improvement_plans([company, company], [lower, higher], params).to_plans()
    assert at_most(plans[0].investment_usd, plans[1].investment_usd)
    assert plans[0].reachable or not plans[1].reachable


@PROPERTIES
@given(company=companies, target=targets, params=plannable_profiles)
def test_a_plan_costs_no_more_than_its_lagrangian_lower_bound(
    company: CompanyInputs, target: float, params: ScoringParameters
) -> None:
    """Least cost, checked against a bound no plan reaching the same V^R can beat."""
    plan = improvement_plan(company, target, params)
    assume(plan.reachable and plan.investment_usd > 0)
    bound = lagrangian_bound(plan, company, params)
    assume(bound is not None)
    assert bound is not None
    assert plan.investment_usd <= bound * (1 + 1e-6) + 1e-3


@PROPERTIES
@given(
    company=companies,
    others=st.lists(companies, max_size=3),
    target=targets,
    params=plannable_profiles,
)
def test_plans_are_deterministic_and_do_not_depend_on_the_batch(
    company: CompanyInputs,
    others: list[CompanyInputs],
    target: float,
    params: ScoringParameters,
) -> None:
    plan = improvement_plan(company, target, params)
    assert improvement_plan(company, target, params) == plan
    same_company = CompanyInputs.model_validate_json(company.model_dump_json())
    same_params = ScoringParameters.model_validate_json(params.model_dump_json())
    assert improvement_plan(same_company, target, same_params) == plan
    batch = improvement_plans([*others, company], [50.0] * len(others) + [target], params)
    in_batch: ImprovementPlan = batch.plan(len(others))
    assert in_batch == plan
