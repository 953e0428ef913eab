"""Improvement plans: the least-cost dimension scores that reach a target Org-AI-R
(DESIGN.md §5 "Value creation"), re-scored by the engine itself.

A plan raises dimension scores D_i to D'_i ∈ [D_i, 100], everything else fixed, so that
the engine's Org-AI-R reaches the target T at the least Σ c_i·(D'_i - D_i), with c_i the
profile's `value_creation.cost_per_point`. Org-AI-R is not monotone in each dimension
(raising the highest one widens sigma_w and can lower V^R), so nothing here assumes it is.

How (per company, vectorised over a whole fund):

1. Org-AI-R depends on the dimensions only through V^R, and for profiles with
   (1 - β)·alpha ≥ β·t_max/4 (t_max the upper timing bound; every built-in profile:
   0.528 ≥ 0.036) it is non-decreasing in V^R: dOrg/dV^R ≥ (1 - β)·alpha - β·t_max/4,
   because synergy's default alignment can lose at most t_max/4 per point of V^R
   (V^R·H^R/100·(1 - |V^R - H^R|/100) falls at most h(1 - h) ≤ 1/4 per point) and H^R
   never falls with V^R. `check_plannable` refuses other profiles: with them a plan
   could need to *lower* V^R, and none of the guarantees below would hold.
2. So "Org-AI-R ≥ T" is "V^R ≥ v_T", with v_T the least V^R whose Org-AI-R (the
   engine's own formulas after V^R, `batch.scores_from_vr`) reaches T, found by
   bisection between today's V^R and the V^R of every weighted dimension at 100. A target
   above what that all-100 plan scores is unreachable: the plan then aims at that
   highest reachable score instead and says `reachable = false`.
3. V^R ≥ v_T is h(D') = M - λsigma_w ≥ v_T / tf, a convex constraint (`plan_paths`); the
   least-cost plan is the convex program solved in `plan_search`: a price-tilted water
   level found by Newton's method on its optimality conditions and accepted only with
   a Lagrangian lower bound proving it optimal to 1e-9, or else found by a bracketed
   root search, and then compared with the seven single-dimension plans, the uniform
   plan (every weighted dimension up by the same amount: the literal "every dimension"
   plan reaches the same V^R at a higher cost) and the sequential plan. Measured on
   ~94,000 random plans under 26 random profiles, every plan was within 5e-7 of an
   independently computed Lagrangian bound (99 % within 2e-9).
4. Every candidate plan is re-scored by `score_batch`; a candidate counts only if the
   engine says it reaches the target (a candidate short by rounding is moved a few ulps
   further along its path and re-scored). The plan is the cheapest counted candidate;
   `projected_org_air` is the engine's score of it and `reachable` is
   projected_org_air ≥ T.

What this guarantees: every D'_i ∈ [D_i, 100]; the plan reaches T when re-scored
whenever any plan can; it never costs more than the cheapest single-dimension plan or
the uniform plan that reaches T (they are candidates, or a certified optimum is at most
1e-9 dearer than any plan); a higher target never costs less (each candidate stops at
the first point of its path that reaches the target, v_T grows with T, and the optimum
of a shrinking feasible set never falls), up to that 1e-9 and rounding; the result is a
deterministic function of the company's inputs (no randomness, and sums run in a fixed
order, so a company's plan does not depend on the rest of the batch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from orgair_scoring._frozen import FrozenMapping
from orgair_scoring.batch import (
    CompanyColumns,
    FloatArray,
    MarketColumns,
    _required_column,
    score_batch,
    scores_from_vr,
    talent_factors,
)
from orgair_scoring.dimensions import DIMENSIONS
from orgair_scoring.models import CompanyInputs
from orgair_scoring.parameters import ScoringParameters
from orgair_scoring.plan_paths import path_points, weighted_sum
from orgair_scoring.plan_search import Candidates, CostModel, candidate_paths
from orgair_scoring.value_errors import ValueCreationInputError, check_score
from orgair_scoring.value_parameters import Priority

IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

PLAN_BLOCK_ROWS: Final = 4096
"""Companies planned together: bounds the search's rows x 14 temporaries (a few MB)."""

LEVEL_MARGIN: Final = 2.0**-40
"""The search aims this far (relative, ~1e-12) above v_T / tf so that the engine's own
rounding of V^R rarely leaves a candidate a hair short; it costs ~1e-12 of the plan."""

NUDGE_ROUNDS: Final = 24
"""Re-scorings of a candidate the engine finds short, each moving it 2x further (from
4 ulps of its step up to ~3e-8 of it) along its own path."""

BISECTION_STEPS: Final = 80
"""Enough to shrink [V^R today, V^R at 100] to adjacent floats."""


class DimensionPlan(BaseModel):
    """One dimension of a plan: today's score, the planned score and what it costs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    current: float
    target: float
    gap: float = Field(description="target - current, points")
    priority: Priority = Field(description="high > 20 points, medium > 10, else low")
    investment_usd: float = Field(description="gap x the profile's cost per point")


class ImprovementPlan(BaseModel):
    """The least-cost plan for one company to reach `target_org_air`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    target_org_air: float
    current_org_air: float = Field(description="The engine's Org-AI-R of today's inputs")
    projected_org_air: float = Field(description="The engine's Org-AI-R of the planned inputs")
    reachable: bool = Field(description="projected_org_air ≥ target_org_air")
    investment_usd: float
    dimensions: Annotated[Mapping[str, DimensionPlan], Field(description="In DIMENSIONS order")]
    parameters_version: str
    parameters_hash: str
    value_creation_hash: str

    @field_validator("dimensions", mode="after")
    @classmethod
    def _read_only(cls, value: Mapping[str, DimensionPlan]) -> Mapping[str, DimensionPlan]:
        return FrozenMapping(dict(value))

    @field_serializer("dimensions")
    def _plain_dict(self, value: Mapping[str, DimensionPlan]) -> dict[str, Any]:
        return {name: plan.model_dump(mode="json") for name, plan in value.items()}

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def planned_inputs(self, inputs: CompanyInputs) -> CompanyInputs:
        """`inputs` with the planned dimension scores: what `projected_org_air` scores."""
        planned = {name: plan.target for name, plan in self.dimensions.items()}
        return CompanyInputs.model_validate(inputs.model_dump() | {"dimensions": planned})


@dataclass(frozen=True, slots=True)
class PlanColumns:
    """`ImprovementPlan`s of many companies as columns (row i = company i of the input)."""

    ids: Sequence[str] | NDArray[Any]
    target_org_air: FloatArray
    current_org_air: FloatArray
    projected_org_air: FloatArray
    reachable: BoolArray
    investment_usd: FloatArray
    current: FloatArray  # rows x 7, DIMENSIONS order
    planned: FloatArray  # rows x 7
    params: ScoringParameters

    def __len__(self) -> int:
        return len(self.ids)

    def plan(self, index: int) -> ImprovementPlan:
        return ImprovementPlan.model_validate(self._row(index))

    def to_plans(self) -> list[ImprovementPlan]:
        return [self.plan(index) for index in range(len(self))]

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every plan as JSON-ready data shaped like `ImprovementPlan.to_json_dict()`."""
        return [self._row(index) for index in range(len(self))]

    def _row(self, index: int) -> dict[str, Any]:
        value = self.params.value_creation
        costs = [value.cost_per_point[name] for name in DIMENSIONS]
        current = self.current[index].tolist()
        planned = self.planned[index].tolist()
        dimensions = {}
        for name, cost, today, target in zip(DIMENSIONS, costs, current, planned, strict=True):
            gap = target - today
            dimensions[name] = {
                "current": today,
                "target": target,
                "gap": gap,
                "priority": value.priority(gap),
                "investment_usd": cost * gap,
            }
        return {
            "id": str(self.ids[index]),
            "target_org_air": float(self.target_org_air[index]),
            "current_org_air": float(self.current_org_air[index]),
            "projected_org_air": float(self.projected_org_air[index]),
            "reachable": bool(self.reachable[index]),
            "investment_usd": float(self.investment_usd[index]),
            "dimensions": dimensions,
            "parameters_version": self.params.version,
            "parameters_hash": self.params.parameters_hash,
            "value_creation_hash": self.params.value_creation_hash,
        }


def check_plannable(params: ScoringParameters) -> None:
    """`ValueCreationInputError` (field `profile`) unless Org-AI-R is non-decreasing in
    V^R under `params`, which the planner's guarantees rest on (module docstring, 1.)."""
    _, timing_high = params.timing_bounds
    growth = (1.0 - params.beta) * params.alpha
    worst_synergy_loss = params.beta * timing_high / 4.0
    if growth < worst_synergy_loss:
        raise ValueCreationInputError(
            "profile",
            f"improvement plans need Org-AI-R to rise with V^R, which "
            f"(1 - beta)*alpha >= beta*timing_max/4 guarantees; profile "
            f"{params.version!r} has {growth:g} < {worst_synergy_loss:g}",
        )


def improvement_plan(
    company: CompanyInputs, target_org_air: float, params: ScoringParameters
) -> ImprovementPlan:
    """The least-cost plan for one company (the batch planner on one row)."""
    check_score("target_org_air", target_org_air)
    return improvement_plans([company], [target_org_air], params).plan(0)


def improvement_plans(
    companies: CompanyColumns | Sequence[CompanyInputs],
    targets: ArrayLike,
    params: ScoringParameters,
) -> PlanColumns:
    """`improvement_plan` for every company at once (`targets`: one Org-AI-R per company).

    A target outside [0, 100] raises `ColumnValidationError` naming its row; a profile
    the planner cannot plan under raises `ValueCreationInputError` (`check_plannable`)."""
    check_plannable(params)
    columns = companies if isinstance(companies, CompanyColumns) else _columns_of(companies)
    count = len(columns)
    target = _required_column("target_org_air", targets, count, 0.0, 100.0)
    current = np.stack([columns.dimensions[name] for name in DIMENSIONS], axis=1).reshape(count, 7)
    planned = current.copy()
    current_org_air = np.empty(count)
    projected_org_air = np.empty(count)
    model = _cost_model(params)
    market = MarketColumns.of(columns, slice(None), params)
    for start in range(0, count, PLAN_BLOCK_ROWS):
        rows = np.arange(start, min(start + PLAN_BLOCK_ROWS, count))
        block = _plan_block(columns, market, rows, current[rows], target[rows], params, model)
        planned[rows], current_org_air[rows], projected_org_air[rows] = block
    return PlanColumns(
        ids=columns.ids,
        target_org_air=target,
        current_org_air=current_org_air,
        projected_org_air=projected_org_air,
        reachable=projected_org_air >= target,
        investment_usd=model.investment(current, planned),
        current=current,
        planned=planned,
        params=params,
    )


def _columns_of(companies: Sequence[CompanyInputs]) -> CompanyColumns:
    return CompanyColumns.from_inputs(companies)


def _cost_model(params: ScoringParameters) -> CostModel:
    weights = np.asarray(params.ordered_weights, dtype=np.float64) / params.weight_total
    costs = np.asarray(
        [params.value_creation.cost_per_point[name] for name in DIMENSIONS], dtype=np.float64
    )
    return CostModel.of(weights, costs, params.lambda_penalty)


def _plan_block(
    columns: CompanyColumns,
    market: MarketColumns,
    rows: IntArray,
    current: FloatArray,
    target: FloatArray,
    params: ScoringParameters,
    model: CostModel,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(planned scores, Org-AI-R today, Org-AI-R of the plan) for the companies `rows`."""
    today = score_batch(_with_dimensions(columns, rows, current), params)
    highest = np.where(model.movable, 100.0, current)
    at_highest = score_batch(_with_dimensions(columns, rows, highest), params)
    # An unreachable target: aim at the highest score reachable instead.
    aim = np.minimum(target, at_highest.org_air)

    planned = current.copy()
    projected = today.org_air.copy()
    below_aim = np.flatnonzero(today.org_air < aim)
    if below_aim.size == 0:
        return planned, today.org_air, projected

    needed_vr = _least_vr_reaching(
        aim[below_aim],
        today.vr[below_aim],
        at_highest.vr[below_aim],
        market.take(rows[below_aim]),
        params,
    )
    talent = talent_factors(columns.talent_concentration[rows[below_aim]], params)
    level = needed_vr / talent * (1.0 + LEVEL_MARGIN)
    # h = M - λsigma_w ≤ 100, with equality only when every weighted dimension is at 100:
    # such a level needs the all-100 plan (which reaches `aim` by construction).
    planned[below_aim] = highest[below_aim]
    projected[below_aim] = at_highest.org_air[below_aim]
    search = np.flatnonzero(level < 100.0)
    if search.size:
        chosen, chosen_score = _cheapest_verified(
            columns,
            rows[below_aim[search]],
            current[below_aim[search]],
            level[search],
            aim[below_aim[search]],
            params,
            model,
        )
        # Nothing verified (rounding at the very top): keep the all-100 plan.
        found = np.flatnonzero(~np.isnan(chosen_score))
        planned[below_aim[search[found]]] = chosen[found]
        projected[below_aim[search[found]]] = chosen_score[found]
    return planned, today.org_air, projected


def _least_vr_reaching(
    aim: FloatArray,
    vr_today: FloatArray,
    vr_highest: FloatArray,
    market: MarketColumns,
    params: ScoringParameters,
) -> FloatArray:
    """The least V^R in [today's, the all-100 plan's] whose Org-AI-R reaches `aim`, by
    bisection on the engine's formulas after V^R (Org-AI-R today < aim ≤ at all-100)."""
    low, high = vr_today.copy(), vr_highest.copy()
    for _ in range(BISECTION_STEPS):
        middle = low + 0.5 * (high - low)
        moved = (middle > low) & (middle < high)
        if not moved.any():
            break
        reaches = scores_from_vr(middle, market, params)[5] >= aim
        high = np.where(moved & reaches, middle, high)
        low = np.where(moved & ~reaches, middle, low)
    return high


def _cheapest_verified(
    columns: CompanyColumns,
    rows: IntArray,
    current: FloatArray,
    level: FloatArray,
    aim: FloatArray,
    params: ScoringParameters,
    model: CostModel,
) -> tuple[FloatArray, FloatArray]:
    """Per row, the cheapest candidate plan the engine confirms reaches `aim`, and its
    Org-AI-R (NaN where none does). Rows whose certified optimum the engine does not
    confirm get the baseline candidates too."""
    chosen = current.copy()
    chosen_score = np.full(len(rows), np.nan)
    for baselines in (False, True):
        pending = np.flatnonzero(np.isnan(chosen_score))
        if pending.size == 0:
            break
        candidates = candidate_paths(current[pending], level[pending], model, baselines=baselines)
        plans, scores = _verified_plans(
            columns, rows[pending], current[pending], aim[pending], candidates, params
        )
        costs = np.where(
            np.isnan(scores),
            np.inf,
            weighted_sum(plans - current[pending][:, None, :], model.costs),
        )
        best = np.argmin(costs, axis=1)
        found = np.isfinite(costs[np.arange(pending.size), best])
        chosen[pending[found]] = plans[found, best[found]]
        chosen_score[pending[found]] = scores[found, best[found]]
    return chosen, chosen_score


def _verified_plans(
    columns: CompanyColumns,
    rows: IntArray,
    current: FloatArray,
    aim: FloatArray,
    candidates: Candidates,
    params: ScoringParameters,
) -> tuple[FloatArray, FloatArray]:
    """(plans, Org-AI-R) of every candidate (rows x candidates x 7, rows x candidates),
    Org-AI-R NaN where the engine never confirms the candidate reaches `aim`."""
    steps = candidates.steps
    plans = path_points(
        current[:, None, :], candidates.offsets, candidates.moving, np.nan_to_num(steps)
    )
    scores = np.full(steps.shape, np.nan)
    pending_row, pending_candidate = np.nonzero(np.isfinite(steps))
    nudge = np.zeros(pending_row.size)
    for round_index in range(NUDGE_ROUNDS + 1):
        if pending_row.size == 0:
            break
        step = steps[pending_row, pending_candidate] + nudge
        points = path_points(
            current[pending_row],
            candidates.offsets[pending_row, pending_candidate],
            candidates.moving[pending_row, pending_candidate],
            step,
        )
        org_air = score_batch(_with_dimensions(columns, rows[pending_row], points), params).org_air
        reached = org_air >= aim[pending_row]
        plans[pending_row[reached], pending_candidate[reached]] = points[reached]
        scores[pending_row[reached], pending_candidate[reached]] = org_air[reached]
        pending_row, pending_candidate = pending_row[~reached], pending_candidate[~reached]
        base = np.abs(steps[pending_row, pending_candidate])
        nudge = np.maximum(base, 1.0) * (4.0 * np.finfo(np.float64).eps) * 2.0**round_index
    return plans, scores


def _with_dimensions(columns: CompanyColumns, rows: IntArray, scores: FloatArray) -> CompanyColumns:
    """The companies `rows` of `columns` with their dimension scores replaced by `scores`."""

    def take(values: FloatArray | None) -> FloatArray | None:
        return None if values is None else values[rows]

    return CompanyColumns(
        ids=np.arange(rows.size),  # scoring never reads them
        sector_names=columns.sector_names,
        sector_codes=columns.sector_codes[rows],
        dimensions={name: scores[:, index] for index, name in enumerate(DIMENSIONS)},
        talent_concentration=columns.talent_concentration[rows],
        market_cap_percentile=columns.market_cap_percentile[rows],
        evidence_count=columns.evidence_count[rows],
        h_r_base=take(columns.h_r_base),
        alignment=take(columns.alignment),
        timing_factor=take(columns.timing_factor),
    )
