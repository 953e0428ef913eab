"""EBITDA impact projections: DESIGN.md's worked examples, the review rule, validation and
the NumPy twin giving the same numbers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgair_scoring import (
    ColumnValidationError,
    EbitdaProjection,
    ScoringParameters,
    ValueCreationInputError,
    builtin_profile,
    derive_profile,
    project_ebitda,
    project_ebitda_batch,
)

V1 = builtin_profile("v1.0")
V2 = builtin_profile("v2.0")
THRESHOLD = 10.0  # HITL_EBITDA_PROJECTION_THRESHOLD's default


def test_worked_example_entry_45_target_75_h_r_80() -> None:
    projection = project_ebitda(45, 75, 80, V2, review_threshold=THRESHOLD)
    # Δ = 75 - 45 = 30, h = 0.80
    # base = 0.0025·30² + 0.05·30 + 0.025·30·0.80 = 2.25 + 1.5 + 0.6 = 4.35
    assert projection.delta == 30
    assert projection.base == pytest.approx(4.35, rel=1e-12)
    assert projection.conservative == pytest.approx(0.7 * 4.35, rel=1e-12)  # 3.045
    assert projection.conservative == pytest.approx(3.045, rel=1e-12)
    assert projection.optimistic == pytest.approx(6.09, rel=1e-12)  # 1.4·4.35
    # H^R 80 ≥ 50: risk factor clamp(1 - 0.01·max(0, 50 - 80)) = 1
    assert projection.risk_adjusted == pytest.approx(4.35, rel=1e-12)
    assert projection.requires_review is False  # 4.35 ≤ 10


def test_worked_example_entry_30_target_90_h_r_40() -> None:
    projection = project_ebitda(30, 90, 40, V2, review_threshold=THRESHOLD)
    # Δ = 60, h = 0.40: base = 0.0025·3600 + 0.05·60 + 0.025·60·0.40 = 9 + 3 + 0.6 = 12.6
    assert projection.delta == 60
    assert projection.base == pytest.approx(12.6, rel=1e-12)
    assert projection.conservative == pytest.approx(8.82, rel=1e-12)  # 0.7·12.6
    assert projection.optimistic == pytest.approx(17.64, rel=1e-12)  # 1.4·12.6
    # risk factor = 1 - 0.01·(50 - 40) = 0.9; risk_adjusted = 12.6·0.9 = 11.34
    assert projection.risk_adjusted == pytest.approx(11.34, rel=1e-12)
    assert projection.requires_review is True  # 11.34 > 10


def test_the_review_rule_is_strictly_above_the_threshold() -> None:
    risk_adjusted = project_ebitda(30, 90, 40, V2, review_threshold=THRESHOLD).risk_adjusted
    at = project_ebitda(30, 90, 40, V2, review_threshold=risk_adjusted)
    below = project_ebitda(30, 90, 40, V2, review_threshold=math.nextafter(risk_adjusted, 0))
    assert at.requires_review is False
    assert below.requires_review is True
    assert project_ebitda(30, 90, 40, V2, review_threshold=12).requires_review is False


def test_the_risk_factor_falls_below_the_pivot_and_stops_at_zero() -> None:
    weak = project_ebitda(20, 50, 0, V2, review_threshold=THRESHOLD)
    # Δ = 30, h = 0: base = 2.25 + 1.5 + 0 = 3.75; factor 1 - 0.01·50 = 0.5
    assert weak.base == pytest.approx(3.75, rel=1e-12)
    assert weak.risk_adjusted == pytest.approx(1.875, rel=1e-12)
    harsh = derive_profile(V2, {"value_creation": {"gamma_3": 0.05}})
    # 1 - 0.05·(50 - 10) = -1 → clamped to 0
    assert project_ebitda(20, 50, 10, harsh, review_threshold=THRESHOLD).risk_adjusted == 0


def test_reaching_the_entry_score_is_worth_nothing() -> None:
    projection = project_ebitda(62.5, 62.5, 70, V2, review_threshold=THRESHOLD)
    assert (projection.delta, projection.base, projection.risk_adjusted) == (0, 0, 0)
    assert projection.requires_review is False


def test_a_custom_profile_s_constants_are_used() -> None:
    custom = derive_profile(
        V2,
        {
            "value_creation": {
                "gamma_0": 0.001,
                "gamma_1": 0.1,
                "gamma_2": 0.05,
                "gamma_3": 0.02,
                "conservative_multiplier": 0.5,
                "optimistic_multiplier": 2.0,
                "risk_h_r_pivot": 60,
            }
        },
    )
    projection = project_ebitda(40, 60, 50, custom, review_threshold=THRESHOLD)
    # Δ = 20, h = 0.5: base = 0.001·400 + 0.1·20 + 0.05·20·0.5 = 0.4 + 2 + 0.5 = 2.9
    assert projection.base == pytest.approx(2.9, rel=1e-12)
    assert projection.conservative == pytest.approx(1.45, rel=1e-12)
    assert projection.optimistic == pytest.approx(5.8, rel=1e-12)
    # factor 1 - 0.02·(60 - 50) = 0.8 → 2.32
    assert projection.risk_adjusted == pytest.approx(2.32, rel=1e-12)
    assert projection.parameters_version == "v2.0+custom"
    assert projection.value_creation_hash == custom.value_creation_hash
    assert projection.value_creation_hash != V2.value_creation_hash


def test_a_projection_names_its_profile() -> None:
    projection = project_ebitda(45, 75, 80, V1, review_threshold=THRESHOLD)
    assert projection.parameters_version == "v1.0"
    assert projection.value_creation_hash == V1.value_creation_hash
    assert list(projection.to_json_dict()) == [
        "delta",
        "conservative",
        "base",
        "optimistic",
        "risk_adjusted",
        "requires_review",
        "parameters_version",
        "value_creation_hash",
    ]


@pytest.mark.parametrize(
    ("entry", "target", "h_r", "field", "message"),
    [
        (50, 40, 70, "target_score", "40 is below entry_score 50"),
        (-1, 40, 70, "entry_score", "-1 is outside [0, 100]"),
        (10, 100.5, 70, "target_score", "100.5 is outside [0, 100]"),
        (10, 40, 101, "h_r_score", "101 is outside [0, 100]"),
        (math.nan, 40, 70, "entry_score", "nan is outside [0, 100]"),
        (10, math.inf, 70, "target_score", "inf is outside [0, 100]"),
    ],
)
def test_bad_scores_name_their_field(
    entry: float, target: float, h_r: float, field: str, message: str
) -> None:
    with pytest.raises(ValueCreationInputError) as caught:
        project_ebitda(entry, target, h_r, V2, review_threshold=THRESHOLD)
    assert caught.value.field == field
    assert str(caught.value) == f"{field}: {message}"


def test_a_threshold_must_be_a_number() -> None:
    with pytest.raises(ValueCreationInputError) as caught:
        project_ebitda(10, 20, 30, V2, review_threshold=math.nan)
    assert caught.value.field == "review_threshold"


# --- the NumPy twin --------------------------------------------------------------------


@st.composite
def projection_rows(draw: st.DrawFn) -> tuple[float, float, float]:
    entry = draw(st.floats(min_value=0, max_value=100))
    target = draw(st.floats(min_value=entry, max_value=100))
    return entry, target, draw(st.floats(min_value=0, max_value=100))


value_creation_overrides = st.fixed_dictionaries(
    {
        "gamma_0": st.floats(min_value=0, max_value=0.1),
        "gamma_1": st.floats(min_value=0, max_value=1),
        "gamma_2": st.floats(min_value=0, max_value=1),
        "gamma_3": st.floats(min_value=0, max_value=0.2),
        "conservative_multiplier": st.floats(min_value=0, max_value=1),
        "optimistic_multiplier": st.floats(min_value=1, max_value=3),
        "risk_h_r_pivot": st.floats(min_value=0, max_value=100),
    }
)
value_profiles = st.one_of(
    st.just(V2), value_creation_overrides.map(lambda vc: derive_profile(V2, {"value_creation": vc}))
)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(projection_rows(), min_size=1, max_size=20),
    params=value_profiles,
    threshold=st.floats(min_value=0, max_value=30),
)
def test_batch_equals_scalar_to_the_last_bit(
    rows: list[tuple[float, float, float]], params: ScoringParameters, threshold: float
) -> None:
    entry, target, h_r = (np.array(column, dtype=np.float64) for column in zip(*rows, strict=True))
    batch = project_ebitda_batch(entry, target, h_r, params, review_threshold=threshold)
    dicts = batch.to_dicts()
    for index, row in enumerate(rows):
        scalar = project_ebitda(*row, params, review_threshold=threshold)
        assert batch.projection(index) == scalar
        assert dicts[index] == scalar.to_json_dict()
        # The pessimistic ≤ base ≤ optimistic ordering holds for every valid profile.
        assert 0 <= scalar.conservative <= scalar.base <= scalar.optimistic
        assert 0 <= scalar.risk_adjusted <= scalar.base


def test_batch_errors_name_the_column_and_row() -> None:
    with pytest.raises(ColumnValidationError) as caught:
        project_ebitda_batch([10, 50], [20, 40], [30, 30], V2, review_threshold=THRESHOLD)
    assert (caught.value.field, caught.value.row) == ("target_score", 1)
    assert "40.0 is below entry_score 50.0" in str(caught.value)
    with pytest.raises(ColumnValidationError) as caught:
        project_ebitda_batch([10, 20], [20, 30], [30, 130], V2, review_threshold=THRESHOLD)
    assert (caught.value.field, caught.value.row) == ("h_r_score", 1)
    with pytest.raises(ColumnValidationError, match="entry_score: expected a one-dimensional"):
        project_ebitda_batch([[10]], [[20]], [[30]], V2, review_threshold=THRESHOLD)
    with pytest.raises(ColumnValidationError, match="target_score: expected shape"):
        project_ebitda_batch([10, 20], [20], [30, 30], V2, review_threshold=THRESHOLD)


def test_an_empty_batch_projects_nothing() -> None:
    empty: list[Any] = []
    batch = project_ebitda_batch(empty, empty, empty, V2, review_threshold=THRESHOLD)
    assert len(batch) == 0
    assert batch.to_dicts() == []


def test_projection_models_are_frozen() -> None:
    projection = project_ebitda(45, 75, 80, V2, review_threshold=THRESHOLD)
    assert isinstance(projection, EbitdaProjection)
    with pytest.raises(ValueError, match="frozen"):
        projection.base = 1.0  # type: ignore[misc]
