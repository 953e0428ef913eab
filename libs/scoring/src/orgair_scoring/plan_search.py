"""The cheapest way to raise h = M - λ·sigma_w to a level r: candidate paths and the search.

Problem (per company): minimise Σ c_i·(D'_i - D_i) over D ≤ D' ≤ 100 subject to
h(D') ≥ r. h is concave (`plan_paths`), so this is a convex program, and its
Karush-Kuhn-Tucker conditions say what the optimum looks like. Where a dimension is
strictly between its bounds, c_i = μ·∂h/∂D'_i = μ·p_i·(1 - λ·z_i) with z_i = (D'_i - M)/sigma_w,
so D'_i = M + sigma_w/λ - sigma_w·k_i/(λμ) with k_i = c_i/p_i, the price of one point of
weighted mean through dimension i. At a bound the same expression is on the far side
of it. So every optimum is a member of the two-parameter family

    D'_i(θ, τ) = clip(θ - τ·k_i, D_i, 100)       (a "price-tilted water level")

with θ = M + sigma_w/λ and τ = sigma_w/(λμ) > 0 (an optimum with sigma_w = 0, every weighted
score at one level, is the member τ = 0). Cheaper dimensions rise higher; τ = 0 fills
every dimension up to one level. For a fixed τ the family is a path in θ along which
cost grows, so its cheapest point reaching r is the exact `first_entry`; what is left
is the single number τ, fixed by the stationarity condition λ·(θ - M) = sigma_w.

The search:
1. start: the first entries of two members (τ spreading the levels by 30 and 300
   points between the cheapest and the dearest dimension); keep the cheaper;
2. Newton on the two equations λ(θ - M) - sigma_w = 0 and M - λsigma_w = r in (θ, τ), with a
   backtracking line search; it converges in ~4 steps from that start;
3. certify: at the converged point μ = sigma_w/(λτ) gives a Lagrangian lower bound on the
   cost of any plan reaching r (convexity: the linearisation of c·D' - μ·h at the plan,
   minimised over the box); a plan within 1e-9 of its bound is accepted as optimal;
4. rows Newton could not certify (it stalls at kinks, where a dimension meets a bound):
   with θ(τ) the exact first entry of member τ, the stationarity residual
   λ(θ - M) - sigma_w is negative for small τ and positive for large τ with a single sign
   change (measured on every row of a 3,000-company sample over 200 values of τ), so a
   7-point grid (and τ = 0) brackets it and bisection finds it; the cheapest member
   seen on the way is kept.

Besides the family member, the candidates are the seven single-dimension paths, the
uniform path (every weighted dimension up by the same amount, capped at 100) and the
sequential path (dimensions filled to 100 in order of k: the exact optimum when λ = 0,
when h is linear). All are exact first entries, so each candidate's cost is
non-decreasing in r; the caller verifies them with the engine and takes the cheapest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from orgair_scoring.plan_paths import (
    SCORE_CAP,
    BoolArray,
    FloatArray,
    first_entry,
    path_points,
    single_dimension_entries,
    weighted_sum,
)

IntArray = NDArray[np.intp]

START_SPREADS: Final = (30.0, 300.0)
"""Newton's starting members, as the points between the cheapest and the dearest
dimension's level. Measured on random fund companies (v2.0 costs): from the cheaper of
these two Newton certifies 99.4 % of rows; (0, 10, 100) certified 96 %."""

BRACKET_SPREADS: Final = (0.0, 1e-9, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5)
"""Where the fallback looks for the sign change of the stationarity residual. τ = 0 is a
candidate but not a bracket end: with every weighted score at one level there, sigma_w = 0
and R1 = 0 exactly, whatever its sign just above; 1e-9 has that sign (R1 grows like τ)."""

NEWTON_STEPS: Final = 20
LINE_SEARCH_HALVINGS: Final = 20
ROOT_STEPS: Final = 50
"""Bisections of the fallback's bracket (a factor 10 in τ) down to ~1e-15 of it."""
NEWTON_TOLERANCE: Final = 1e-10
"""|residual| in points (scaled by 1 + r) at which a KKT equation holds."""

CERTIFIED_GAP: Final = 1e-9
"""A family plan within this relative distance of its Lagrangian lower bound is optimal."""

CANDIDATE_COUNT: Final = 10
"""Seven single-dimension paths, uniform, sequential, the family member (in that order)."""
UNIFORM, SEQUENTIAL, FAMILY = 7, 8, 9


@dataclass(frozen=True, slots=True)
class CostModel:
    """What the search needs from the profile, as arrays in DIMENSIONS order."""

    weights: FloatArray  # p_i = w_i / Σw
    costs: FloatArray  # c_i, USD per point
    lambda_penalty: float
    movable: BoolArray  # weighted dimensions: the others never change V^R, so stay put
    relative_prices: FloatArray  # k_i / min k (≥ 1) where movable, 0 elsewhere
    cheapest_price: float  # min k, USD per point of weighted mean

    @classmethod
    def of(cls, weights: FloatArray, costs: FloatArray, lambda_penalty: float) -> CostModel:
        movable = weights > 0.0
        prices = np.zeros_like(costs)
        prices[movable] = costs[movable] / weights[movable]
        cheapest = float(prices[movable].min()) if movable.any() else 1.0
        return cls(
            weights=weights,
            costs=costs,
            lambda_penalty=lambda_penalty,
            movable=movable,
            relative_prices=np.where(movable, prices / cheapest, 0.0),
            cheapest_price=cheapest,
        )

    def investment(self, current: FloatArray, planned: FloatArray) -> FloatArray:
        """Σ c_i·(D'_i - D_i) per row (dimension order)."""
        return weighted_sum(planned - current, self.costs)


@dataclass(frozen=True, slots=True)
class Candidates:
    """Per row, CANDIDATE_COUNT paths D'(s) = clip(offsets + s, D, 100) on `moving`, and
    the step `steps` at which each first reaches the level (NaN: never)."""

    offsets: FloatArray  # rows x candidates x 7
    moving: BoolArray  # rows x candidates x 7
    steps: FloatArray  # rows x candidates


def candidate_paths(
    current: FloatArray, level: FloatArray, model: CostModel, *, baselines: bool = False
) -> Candidates:
    """Every row's candidate paths and their exact first entries into h ≥ level.

    The family member always; the baselines (single-dimension, uniform, sequential) for
    the rows whose member is not certified optimal, or for every row with `baselines`
    (a certified member costs no more than any of them, to CERTIFIED_GAP)."""
    rows = current.shape[0]
    movable = np.broadcast_to(model.movable, current.shape)
    offsets = np.zeros((rows, CANDIDATE_COUNT, 7))
    moving = np.zeros((rows, CANDIDATE_COUNT, 7), dtype=bool)
    steps = np.full((rows, CANDIDATE_COUNT), np.nan)
    weights, penalty = model.weights, model.lambda_penalty

    certified = np.zeros(rows, dtype=bool)
    if penalty > 0.0 and rows:
        tilt, theta, certified = family_member(current, level, model)
        offsets[:, FAMILY, :] = -tilt[:, None] * model.relative_prices
        moving[:, FAMILY, :] = movable
        steps[:, FAMILY] = theta
    wanted = np.flatnonzero(~certified | baselines)
    if wanted.size == 0:
        return Candidates(offsets=offsets, moving=moving, steps=steps)

    base, base_level, base_movable = current[wanted], level[wanted], movable[wanted]
    singles = single_dimension_entries(base, base_movable, base_level, weights, penalty)
    for dimension in range(7):
        offsets[wanted, dimension, :] = base
        moving[wanted, dimension, dimension] = base_movable[:, dimension]
        steps[wanted, dimension] = singles[:, dimension]

    offsets[wanted, UNIFORM, :] = base
    moving[wanted, UNIFORM, :] = base_movable
    steps[wanted, UNIFORM] = first_entry(base, base, base_movable, base_level, weights, penalty)

    sequential = sequential_offsets(base, model)
    offsets[wanted, SEQUENTIAL, :] = sequential
    moving[wanted, SEQUENTIAL, :] = base_movable
    steps[wanted, SEQUENTIAL] = first_entry(
        base, sequential, base_movable, base_level, weights, penalty
    )
    return Candidates(offsets=offsets, moving=moving, steps=steps)


def sequential_offsets(current: FloatArray, model: CostModel) -> FloatArray:
    """Offsets that fill the movable dimensions to 100 one after another, cheapest k first."""
    movable = model.movable
    order = np.argsort(np.where(movable, model.relative_prices, np.inf), kind="stable")
    order = order[movable[order]]
    offsets = current.copy()
    filled_before = np.zeros(current.shape[0])
    for dimension in order:
        offsets[:, dimension] = current[:, dimension] - filled_before
        filled_before = filled_before + (SCORE_CAP - current[:, dimension])
    return offsets


def family_member(
    current: FloatArray, level: FloatArray, model: CostModel
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """(τ̂, θ, certified) per row: the family's least-cost member reaching `level`
    (τ̂ = τ·min k, in points per unit of relative price), θ where it reaches it (NaN:
    unreachable), and whether its Lagrangian bound proves it optimal."""
    prices = model.relative_prices
    spread = float(prices.max()) - 1.0
    if spread <= 0.0:
        # Every k equal: the family is the single water level (τ has no effect).
        zero = np.zeros(current.shape[0])
        return zero, _member_entry(current, level, zero, model), np.zeros(zero.size, bool)

    tilt, theta, _ = _cheapest_members(
        current, level, [value / spread for value in START_SPREADS], model
    )
    tilt, theta, converged = _newton(current, level, tilt, theta, model)
    theta = np.where(converged, _settle_theta(current, level, tilt, theta, model), np.nan)
    certified = converged & _certified(current, level, tilt, theta, model)

    pending = np.flatnonzero(~certified)
    if pending.size:
        tilt[pending], theta[pending] = _bracketed_search(
            current[pending], level[pending], [value / spread for value in BRACKET_SPREADS], model
        )
    return tilt, theta, certified


def _member_entry(
    current: FloatArray, level: FloatArray, tilt: FloatArray, model: CostModel
) -> FloatArray:
    movable = np.broadcast_to(model.movable, current.shape)
    offsets = -tilt[:, None] * model.relative_prices
    return first_entry(current, offsets, movable, level, model.weights, model.lambda_penalty)


def _member_cost(
    current: FloatArray, tilt: FloatArray, theta: FloatArray, model: CostModel
) -> FloatArray:
    movable = np.broadcast_to(model.movable, current.shape)
    offsets = -tilt[:, None] * model.relative_prices
    planned = path_points(current, offsets, movable, np.nan_to_num(theta))
    return np.where(np.isnan(theta), np.inf, model.investment(current, planned))


def _cheapest_members(
    current: FloatArray, level: FloatArray, tilts: list[float], model: CostModel
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Of the members `tilts`, per row the cheapest reaching the level: (τ̂, θ, cost)."""
    rows = current.shape[0]
    best_tilt, best_theta, best_cost = np.zeros(rows), np.full(rows, np.nan), np.full(rows, np.inf)
    for value in tilts:
        tilt = np.full(rows, value)
        theta = _member_entry(current, level, tilt, model)
        cost = _member_cost(current, tilt, theta, model)
        cheaper = cost < best_cost
        best_tilt = np.where(cheaper, tilt, best_tilt)
        best_theta = np.where(cheaper, theta, best_theta)
        best_cost = np.where(cheaper, cost, best_cost)
    return best_tilt, best_theta, best_cost


def _kkt_residuals(
    current: FloatArray, level: FloatArray, tilt: FloatArray, theta: FloatArray, model: CostModel
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """(R1, R2, planned, mean, spread): R1 = λ(θ - M) - sigma_w, R2 = M - λsigma_w - r."""
    prices, penalty = model.relative_prices, model.lambda_penalty
    levels = theta[:, None] - tilt[:, None] * prices
    planned = np.where(model.movable, np.clip(levels, current, SCORE_CAP), current)
    mean = weighted_sum(planned, model.weights)
    deviation = planned - mean[:, None]
    spread = np.sqrt(np.maximum(weighted_sum(deviation * deviation, model.weights), 0.0))
    first = penalty * (theta - mean) - spread
    second = mean - penalty * spread - level
    return first, second, planned, mean, spread


def _newton(
    current: FloatArray,
    level: FloatArray,
    tilt: FloatArray,
    theta: FloatArray,
    model: CostModel,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Newton's method on the KKT equations in (θ, τ̂) from each row's start, with a
    backtracking (Armijo) line search on |R|; a row whose start is NaN, whose Jacobian
    is singular or whose line search stalls is returned unconverged."""
    tilt, theta = tilt.copy(), theta.copy()
    converged = np.zeros(current.shape[0], dtype=bool)
    active = np.flatnonzero(np.isfinite(theta))
    for _ in range(NEWTON_STEPS):
        if active.size == 0:
            break
        rows_current, rows_level = current[active], level[active]
        rows_tilt, rows_theta = tilt[active], theta[active]
        first, second, planned, mean, spread = _kkt_residuals(
            rows_current, rows_level, rows_tilt, rows_theta, model
        )
        norm = np.hypot(first, second)
        done = norm <= NEWTON_TOLERANCE * (1.0 + np.abs(rows_level))
        converged[active[done]] = True
        step_theta, step_tilt = _newton_step(
            rows_current, rows_tilt, rows_theta, first, second, planned, mean, spread, model
        )
        going = np.flatnonzero(~done & np.isfinite(step_theta) & np.isfinite(step_tilt))
        scale = np.ones(going.size)
        accepted = np.zeros(going.size, dtype=bool)
        searching = np.arange(going.size)
        for _ in range(LINE_SEARCH_HALVINGS):
            if searching.size == 0:
                break
            rows = going[searching]
            trial_theta = rows_theta[rows] + scale[searching] * step_theta[rows]
            trial_tilt = np.maximum(rows_tilt[rows] + scale[searching] * step_tilt[rows], 0.0)
            trial_first, trial_second, *_ = _kkt_residuals(
                rows_current[rows], rows_level[rows], trial_tilt, trial_theta, model
            )
            decreased = np.hypot(trial_first, trial_second) <= norm[rows] * (
                1.0 - 1e-4 * scale[searching]
            )
            theta[active[rows[decreased]]] = trial_theta[decreased]
            tilt[active[rows[decreased]]] = trial_tilt[decreased]
            accepted[searching[decreased]] = True
            searching = searching[~decreased]
            scale[searching] *= 0.5
        active = active[going[accepted]]
    return tilt, theta, converged


def _newton_step(
    current: FloatArray,
    tilt: FloatArray,
    theta: FloatArray,
    first: FloatArray,
    second: FloatArray,
    planned: FloatArray,
    mean: FloatArray,
    spread: FloatArray,
    model: CostModel,
) -> tuple[FloatArray, FloatArray]:
    """The Newton step (Δθ, Δτ̂) for R1 = λ(θ - M) - sigma_w, R2 = M - λsigma_w - r, with the
    set of dimensions strictly between their bounds held (NaN where singular)."""
    prices, weights, penalty = model.relative_prices, model.weights, model.lambda_penalty
    levels = theta[:, None] - tilt[:, None] * prices
    share = np.where(model.movable & (levels > current) & (levels < SCORE_CAP), 1.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = (planned - mean[:, None]) / spread[:, None]
        free_weight = weighted_sum(share, weights)
        free_z = weighted_sum(share * z, weights)
        free_price = weighted_sum(share * prices, weights)
        free_price_z = weighted_sum(share * prices * z, weights)
        # dM = p_F·dθ - Σ_F p k̂ · dτ̂ and dsigma_w = Σ_F p z · dθ - Σ_F p k̂ z · dτ̂.
        d1_theta = penalty * (1.0 - free_weight) - free_z
        d1_tilt = penalty * free_price + free_price_z
        d2_theta = free_weight - penalty * free_z
        d2_tilt = -free_price + penalty * free_price_z
        determinant = d1_theta * d2_tilt - d1_tilt * d2_theta
        step_theta = (-first * d2_tilt + second * d1_tilt) / determinant
        step_tilt = (-d1_theta * second + d2_theta * first) / determinant
    return step_theta, step_tilt


def _settle_theta(
    current: FloatArray, level: FloatArray, tilt: FloatArray, theta: FloatArray, model: CostModel
) -> FloatArray:
    """Two Newton steps in θ alone on R2 = M - λsigma_w - r: Newton stops at |R| ≤ 1e-10;
    this puts the member on the level to rounding."""
    weights, penalty, prices = model.weights, model.lambda_penalty, model.relative_prices
    for _ in range(2):
        _, second, planned, mean, spread = _kkt_residuals(current, level, tilt, theta, model)
        levels = theta[:, None] - tilt[:, None] * prices
        share = np.where(model.movable & (levels > current) & (levels < SCORE_CAP), 1.0, 0.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = np.where(spread[:, None] > 0.0, (planned - mean[:, None]) / spread[:, None], 0.0)
            slope = weighted_sum(share, weights) - penalty * weighted_sum(share * z, weights)
            moved = theta - second / slope
        theta = np.where(np.isfinite(moved), moved, theta)
    return theta


def _certified(
    current: FloatArray,
    level: FloatArray,
    tilt: FloatArray,
    theta: FloatArray,
    model: CostModel,
) -> BoolArray:
    """True where the member's plan is within CERTIFIED_GAP of the Lagrangian lower bound
    L(μ) = c·(D' - D) - μ·(h(D') - r) + Σ_i min(g_i·(D_i - D'_i), g_i·(100 - D'_i)),
    g = c - μ·∇h(D'), μ = sigma_w·min k / (λ·τ̂): no plan reaching r costs less than L(μ)."""
    penalty = model.lambda_penalty
    movable = np.broadcast_to(model.movable, current.shape)
    offsets = -tilt[:, None] * model.relative_prices
    planned = path_points(current, offsets, movable, np.nan_to_num(theta))
    mean = weighted_sum(planned, model.weights)
    deviation = planned - mean[:, None]
    spread = np.sqrt(np.maximum(weighted_sum(deviation * deviation, model.weights), 0.0))
    usable = np.isfinite(theta) & (tilt > 0.0) & (spread > 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        price = spread * model.cheapest_price / (penalty * tilt)
        gradient = model.weights * (1.0 - penalty * deviation / spread[:, None])
        reduced = model.costs - price[:, None] * gradient
        surplus = mean - penalty * spread - level
        box = np.minimum(reduced * (current - planned), reduced * (SCORE_CAP - planned))
        cost = model.investment(current, planned)
        bound = cost - price * surplus + box.sum(axis=1)
        gap = cost - bound
    certified: BoolArray = (
        usable & np.isfinite(gap) & (gap <= CERTIFIED_GAP * np.maximum(cost, 1.0))
    )
    return certified


def _bracketed_search(
    current: FloatArray, level: FloatArray, grid: list[float], model: CostModel
) -> tuple[FloatArray, FloatArray]:
    """(τ̂, θ): the root of the stationarity residual R1(τ̂) = λ(θ(τ̂) - M) - sigma_w, with
    θ(τ̂) the exact first entry of member τ̂, bracketed on `grid` (increasing) and found
    by bisection; the cheapest member evaluated on the way is returned (so a row whose
    residual never changes sign gets the cheapest grid member).

    Bisection, not a faster secant method: where the levels are nearly equal (τ̂ → 0)
    sigma_w and θ - M both vanish, so R1 is tiny on a long stretch before its real root,
    which stalls false-position methods and fools any test on |R1|."""
    rows = current.shape[0]
    best_tilt, best_theta = np.zeros(rows), np.full(rows, np.nan)
    best_cost = np.full(rows, np.inf)

    def residual_at(subset: IntArray, tilt: FloatArray) -> FloatArray:
        """R1 of member `tilt` for the rows `subset` (NaN where it never reaches the level),
        remembering the cheapest member seen."""
        sub_current, sub_level = current[subset], level[subset]
        theta = _member_entry(sub_current, sub_level, tilt, model)
        cost = _member_cost(sub_current, tilt, theta, model)
        cheaper = cost < best_cost[subset]
        best_tilt[subset[cheaper]] = tilt[cheaper]
        best_theta[subset[cheaper]] = theta[cheaper]
        best_cost[subset[cheaper]] = cost[cheaper]
        residual, *_ = _kkt_residuals(sub_current, sub_level, tilt, np.nan_to_num(theta), model)
        return np.where(np.isnan(theta), np.nan, residual)

    everyone = np.arange(rows)
    points = np.asarray(grid)
    residuals = np.stack([residual_at(everyone, np.full(rows, value)) for value in grid], axis=1)
    # The first grid interval (not from τ = 0) over which R1 goes from negative to
    # non-negative.
    residuals[:, 0] = np.nan
    change = (residuals[:, :-1] < 0.0) & (residuals[:, 1:] >= 0.0)
    upper = np.argmax(change, axis=1) + 1
    low, high = points[upper - 1], points[upper]
    searching = np.flatnonzero(change.any(axis=1))
    for _ in range(ROOT_STEPS):
        if searching.size == 0:
            break
        lo, hi = low[searching], high[searching]
        middle = lo + 0.5 * (hi - lo)
        inside = (middle > lo) & (middle < hi)  # else the bracket is two adjacent floats
        value = residual_at(searching, middle)
        to_high = value >= 0.0
        high[searching] = np.where(to_high, middle, hi)
        low[searching] = np.where(to_high, lo, middle)
        searching = searching[np.isfinite(value) & inside]
    return best_tilt, best_theta
