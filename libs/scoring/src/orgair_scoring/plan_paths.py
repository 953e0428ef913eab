"""Where a path of rising dimension scores first reaches a dispersion-penalised level.

With the weights normalised to p_i = w_i / Σw, the engine's V^R is

    V^R = tf · max(0, M - λ·sigma_w),   M = Σ p_i D_i,   sigma_w² = Σ p_i (D_i - M)²

(tf the talent factor: M·clamp(1 - λ·cv) = max(0, M - λsigma_w) because M ≥ 0 and sigma_w ≥ 0).
So "V^R ≥ v" is "h(D) = M - λsigma_w ≥ r" with r = v / tf, and h is concave: M is linear
and sigma_w is a (semi)norm of D. The planner moves the scores along paths

    D'_i(s) = clip(a_i + s, D_i, 100)   for the dimensions that move, D'_i = D_i otherwise,

which are piecewise linear in s with a breakpoint wherever a dimension starts (s = D_i - a_i)
or stops (s = 100 - a_i) moving. Between two breakpoints D' moves along a fixed direction,
so M is linear and sigma_w² quadratic in the step u, and h ≥ r there is the quadratic
condition (1 + λ²)·M'² ≥ λ²·S' with M' ≥ 0 (M' = M - r, S' = Σ p (D' - r)², since
sigma_w² = S' - M'²). h is concave on each segment, so where it first reaches r is the
smaller valid root of that quadratic: `first_entry` solves it exactly on every segment
and takes the earliest, with no step size and no tolerance on s. Costs grow with s along
every path, so the first entry is the cheapest point of the path that reaches r.

Values are centred on r before they are squared, so the quadratic's coefficients are
of the size of the deviations, not of the scores (no cancellation when sigma_w is small).
Every operation is row by row, so a row's result never depends on the other rows of
the batch.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

SCORE_CAP: Final = 100.0

ROOT_SLACK: Final = 1e-12
"""A root this far (relative) outside its segment, or with M' this far below zero, is
rounding: it is kept and clipped into the segment rather than lost."""


def weighted_sum(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Σ_i weights_i · values[..., i] per row. `einsum` (never BLAS) runs the same loop over
    the seven values of every row, so a row's sum does not depend on the rest of the
    batch; it is 5x faster than seven strided multiply-adds."""
    total: FloatArray = np.einsum("...i,i->...", values, weights)
    return total


def path_points(
    current: FloatArray, offsets: FloatArray, moving: BoolArray, steps: FloatArray
) -> FloatArray:
    """D'(s) = clip(a + s, D, 100) on the moving dimensions, D elsewhere (rows x 7)."""
    raised = np.clip(offsets + steps[..., None], current, SCORE_CAP)
    return np.where(moving, raised, current)


def segment_entry(
    mean_offset: FloatArray,
    second_moment: FloatArray,
    free_weight: FloatArray,
    free_moment: FloatArray,
    length: FloatArray,
    lambda_penalty: float,
) -> FloatArray:
    """The first step u ∈ [0, length] at which h reaches r on one segment, or NaN.

    On the segment the scores are D' + u·1_F: M'(u) = M'₀ + p_F·u and
    S'(u) = S'₀ + 2·q·u + p_F·u² with p_F = Σ_F p_i and q = Σ_F p_i (D'_i - r).
    h ≥ r ⇔ M' ≥ 0 and Q(u) = (1 + λ²)M'² - λ²S' ≥ 0. M' grows with u, so the first
    candidate is u₀ = where M' turns non-negative; if Q(u₀) < 0 the entry is where Q
    turns non-negative after it: the larger root of Q if Q opens upwards, the smaller if
    downwards (a linear Q: its root). Roots use the cancellation-free pair h/a and c/h.
    """
    squared = lambda_penalty * lambda_penalty
    one = 1.0 + squared
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        start = np.where(mean_offset >= 0.0, 0.0, -mean_offset / free_weight)
        mean_start = mean_offset + free_weight * start
        second_start = second_moment + (2.0 * free_moment + free_weight * start) * start
        reached_at_start = one * mean_start * mean_start >= squared * second_start

        a = free_weight * (one * free_weight - squared)
        b = 2.0 * (one * mean_offset * free_weight - squared * free_moment)
        c = one * mean_offset * mean_offset - squared * second_moment
        discriminant = b * b - 4.0 * a * c
        # A tangent point rounds to a slightly negative discriminant: keep it.
        discriminant = np.where(
            discriminant > -ROOT_SLACK * b * b, np.maximum(discriminant, 0.0), np.nan
        )
        half = -0.5 * (b + np.copysign(np.sqrt(discriminant), b))
        first, second = half / a, c / half
        root = np.where(
            a > 0.0, np.fmax(first, second), np.where(a < 0.0, np.fmin(first, second), second)
        )
        entry = np.where(reached_at_start, start, root)
        slack = ROOT_SLACK * (1.0 + length)
        inside = (entry >= start - slack) & (entry <= length + slack)
    return np.where(inside, np.clip(entry, 0.0, length), np.nan)


def first_entry(
    current: FloatArray,
    offsets: FloatArray,
    moving: BoolArray,
    level: FloatArray,
    weights: FloatArray,
    lambda_penalty: float,
) -> FloatArray:
    """The smallest s with h(D'(s)) ≥ level along each row's path, NaN if none.

    `current`, `offsets`, `moving`: rows x 7; `level`: one r per row; `weights`: the
    normalised p (7,). Every breakpoint and every segment is examined at once: sorted
    breakpoints carry what each changes in the sums behind M' and S' (a dimension
    starting to move, or stopping at 100), so cumulative sums give every segment's
    coefficients without materialising its scores. Those sums lose a little to
    cancellation when offsets are large, so the chosen root is then polished on the
    scores themselves (`polish_entry`).
    """
    rows = current.shape[0]
    if rows == 0:
        return np.empty(0)
    p = np.broadcast_to(weights, current.shape)
    starts = np.where(moving, current - offsets, np.inf)
    stops = np.where(moving, SCORE_CAP - offsets, np.inf)
    last = np.max(np.where(moving, stops, -np.inf), axis=1)
    has_path = np.isfinite(last)
    last = np.where(has_path, last, 0.0)

    centred_current = current - level[:, None]
    centred_offsets = offsets - level[:, None]
    centred_cap = SCORE_CAP - level[:, None]
    # What each breakpoint adds to the free weight p_F, to the constant C of
    # M'(s) = C + p_F·s, and to S'(s) = S0 + 2·S1·s + p_F·s² (no change if not moving).
    weight_on = np.where(moving, p, 0.0)
    start_constant = weight_on * (offsets - current)
    stop_constant = weight_on * (SCORE_CAP - offsets)
    start_square = weight_on * (
        centred_offsets * centred_offsets - centred_current * centred_current
    )
    stop_square = weight_on * (centred_cap * centred_cap - centred_offsets * centred_offsets)
    linear_on = weight_on * centred_offsets

    positions = np.concatenate([starts, stops], axis=1)
    order = np.argsort(positions, axis=1, kind="stable")
    events = np.take_along_axis(positions, order, axis=1)
    events = np.where(np.isfinite(events), events, last[:, None])

    def ordered(on_start: FloatArray, on_stop: FloatArray) -> FloatArray:
        return np.take_along_axis(np.concatenate([on_start, on_stop], axis=1), order, axis=1)

    free_weight = np.cumsum(ordered(weight_on, -weight_on), axis=1)
    constant = weighted_sum(centred_current, weights)[:, None] + np.cumsum(
        ordered(start_constant, stop_constant), axis=1
    )
    square = weighted_sum(centred_current * centred_current, weights)[:, None] + np.cumsum(
        ordered(start_square, stop_square), axis=1
    )
    linear = np.cumsum(ordered(linear_on, -linear_on), axis=1)

    # Segment j runs from events[j] to events[j + 1] with the sums after event j.
    mean_at_event = constant + free_weight * events
    square_at_event = square + (2.0 * linear + free_weight * events) * events
    squared = lambda_penalty * lambda_penalty
    # The path is continuous, so h at a breakpoint is the same from either side.
    reached_at_event = (mean_at_event >= 0.0) & (
        (1.0 + squared) * mean_at_event * mean_at_event >= squared * square_at_event
    )

    begin, end = events[:, :-1], events[:, 1:]
    length = end - begin
    segment_weight = np.where(length > 0.0, free_weight[:, :-1], 0.0)
    step = segment_entry(
        mean_at_event[:, :-1],
        square_at_event[:, :-1],
        segment_weight,
        linear[:, :-1] + free_weight[:, :-1] * begin,
        length,
        lambda_penalty,
    )
    inside = np.where(segment_weight > ROOT_SLACK, begin + step, np.nan)
    at_events = np.where(reached_at_event, events, np.nan)
    candidates = np.concatenate([at_events, inside], axis=1)
    found = has_path & ~np.all(np.isnan(candidates), axis=1)
    choice = np.argmin(np.where(np.isnan(candidates), np.inf, candidates), axis=1)
    entry = np.where(found, candidates[np.arange(rows), choice], np.nan)

    # An entry inside a segment: polish its root on the scores themselves.
    width = events.shape[1]
    interior = found & (choice >= width)
    if interior.any():
        index = np.flatnonzero(interior)
        segment = choice[index] - width
        begin_at, end_at = begin[index, segment], end[index, segment]
        middle = begin_at + 0.5 * (end_at - begin_at)
        free = (
            moving[index] & (starts[index] <= middle[:, None]) & (stops[index] >= middle[:, None])
        )
        entry[index] = polish_entry(
            current[index],
            offsets[index],
            moving[index],
            free,
            begin_at,
            end_at,
            entry[index],
            level[index],
            weights,
            lambda_penalty,
        )
    return entry


def polish_entry(
    current: FloatArray,
    offsets: FloatArray,
    moving: BoolArray,
    free: BoolArray,
    begin: FloatArray,
    end: FloatArray,
    entry: FloatArray,
    level: FloatArray,
    weights: FloatArray,
    lambda_penalty: float,
) -> FloatArray:
    """Two Newton steps on f(s) = h(D'(s)) - r, from the quadratic's root, within its
    segment [begin, end] (free dimensions `free`).

    Where sigma_w stays near 0 along the segment (the rising scores all at one level) the
    quadratic has a double root, which rounding only locates to ~√ε (1e-7 points); f is
    evaluated here from the scores themselves (two passes, no moments), so Newton lands
    on the root. A step is kept only if it brings f closer to 0.
    """
    free_weight = weighted_sum(np.where(free, 1.0, 0.0), weights)
    # d sigma_w / ds where sigma_w = 0: the spread of the direction 1_F itself.
    apex_slope = np.sqrt(np.maximum(free_weight * (1.0 - free_weight), 0.0))

    def residual(steps: FloatArray) -> tuple[FloatArray, FloatArray]:
        points = path_points(current, offsets, moving, steps)
        mean = weighted_sum(points, weights)
        deviation = points - mean[:, None]
        spread = np.sqrt(np.maximum(weighted_sum(deviation * deviation, weights), 0.0))
        flat = spread <= ROOT_SLACK * (1.0 + np.abs(mean))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            moment = weighted_sum(np.where(free, deviation, 0.0), weights)
            spread_slope = np.where(flat, apex_slope, moment / spread)
        value = mean - lambda_penalty * spread - level
        return value, free_weight - lambda_penalty * spread_slope

    steps = entry
    value, slope = residual(steps)
    for _ in range(2):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            proposal = np.clip(steps - value / slope, begin, end)
        proposal = np.where(np.isfinite(proposal), proposal, steps)
        proposed_value, proposed_slope = residual(proposal)
        better = np.abs(proposed_value) < np.abs(value)
        steps = np.where(better, proposal, steps)
        value = np.where(better, proposed_value, value)
        slope = np.where(better, proposed_slope, slope)
    return steps


def single_dimension_entries(
    current: FloatArray,
    movable: BoolArray,
    level: FloatArray,
    weights: FloatArray,
    lambda_penalty: float,
) -> FloatArray:
    """Rows x 7: the fewest points dimension j alone must rise for h to reach `level`
    (NaN where it cannot: h may peak below r, or j has no weight)."""
    centred = current - level[:, None]
    mean_offset = weighted_sum(centred, weights)[:, None]
    second_moment = weighted_sum(centred * centred, weights)[:, None]
    free_weight = np.broadcast_to(weights, current.shape)
    step = segment_entry(
        np.broadcast_to(mean_offset, current.shape),
        np.broadcast_to(second_moment, current.shape),
        free_weight,
        free_weight * centred,
        SCORE_CAP - current,
        lambda_penalty,
    )
    return np.where(movable & (free_weight > 0.0), step, np.nan)
