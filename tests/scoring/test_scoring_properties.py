"""Properties of the engine over the whole input and parameter domain (Hypothesis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from scoring_strategies import (
    companies,
    company_data,
    profile_overrides,
    profiles,
    scores,
)

from orgair_scoring import (
    DIMENSIONS,
    CompanyColumns,
    CompanyInputs,
    ScoringParameters,
    builtin_profile,
    derive_profile,
    score_batch,
    score_company,
)

THOROUGH = settings(max_examples=500, deadline=None)

# Rounding of the weighted sums may move M (and so V^R) by a few ulps when every
# score moves by a tiny amount; 1e-9 points is far below anything a score can show.
ROUNDING = 1e-9


@THOROUGH
@given(company=companies, params=profiles)
def test_every_output_is_within_its_bounds(
    company: CompanyInputs, params: ScoringParameters
) -> None:
    result = score_company(company, params)
    low_score = min(company.dimensions.values())
    high_score = max(company.dimensions.values())
    assert low_score - ROUNDING <= result.weighted_mean <= high_score + ROUNDING
    assert result.cv >= 0
    for score in (result.vr, result.hr, result.synergy, result.org_air):
        assert 0 <= score <= 100
    assert -1 <= result.position_factor <= 1
    assert 0 <= result.alignment <= 1
    assert params.timing_bounds[0] <= result.timing_factor <= params.timing_bounds[1]
    for name in ("vr", "hr", "synergy", "org_air"):
        lower, upper = getattr(result.ci, name)
        assert 0 <= lower <= getattr(result, name) <= upper <= 100
    assert result.parameters_hash == params.parameters_hash
    assert result.id == company.id


@THOROUGH
@given(data=st.data(), company=companies, params=profiles)
def test_raising_every_dimension_by_the_same_amount_never_lowers_vr(
    data: st.DataObject, company: CompanyInputs, params: ScoringParameters
) -> None:
    headroom = 100 - max(company.dimensions.values())
    raise_by = data.draw(st.floats(min_value=0, max_value=headroom), label="raise_by")
    raised_scores = {name: score + raise_by for name, score in company.dimensions.items()}
    raised = CompanyInputs.model_validate(company.model_dump() | {"dimensions": raised_scores})
    assert score_company(raised, params).vr >= score_company(company, params).vr - ROUNDING


@THOROUGH
@given(data=st.data(), company=companies, params=profiles)
def test_higher_talent_concentration_above_the_threshold_never_raises_vr(
    data: st.DataObject, company: CompanyInputs, params: ScoringParameters
) -> None:
    threshold = params.talent_threshold
    lower = data.draw(st.floats(min_value=threshold, max_value=1), label="lower_tc")
    higher = data.draw(st.floats(min_value=lower, max_value=1), label="higher_tc")

    def vr_at(concentration: float) -> float:
        changed = company.model_dump() | {"talent_concentration": concentration}
        return score_company(CompanyInputs.model_validate(changed), params).vr

    assert vr_at(higher) <= vr_at(lower)


@THOROUGH
@given(base=company_data(), value=scores, params=profiles)
def test_equal_dimensions_have_zero_cv(
    base: dict[str, object], value: float, params: ScoringParameters
) -> None:
    company = CompanyInputs.model_validate(base | {"dimensions": dict.fromkeys(DIMENSIONS, value)})
    result = score_company(company, params)
    assert result.cv == 0.0
    assert result.weighted_mean == value


@THOROUGH
@given(company=companies, params=profiles)
def test_scoring_is_deterministic(company: CompanyInputs, params: ScoringParameters) -> None:
    first = score_company(company, params)
    # Rebuilt from their JSON: nothing depends on object identity or cached state.
    same_company = CompanyInputs.model_validate_json(company.model_dump_json())
    same_params = ScoringParameters.model_validate_json(params.model_dump_json())
    assert score_company(same_company, same_params) == first
    assert score_company(company, params) == first


@THOROUGH
@given(batch=st.lists(companies, min_size=1, max_size=12), params=profiles)
def test_batch_equals_scalar(batch: list[CompanyInputs], params: ScoringParameters) -> None:
    columnar = score_batch(CompanyColumns.from_inputs(batch), params)
    from_sequence = score_batch(batch, params)
    for row, company in enumerate(batch):
        expected = score_company(company, params).to_json_dict()
        for result in (columnar.result(row).to_json_dict(), from_sequence.to_dicts()[row]):
            assert result.keys() == expected.keys()
            for key, value in expected.items():
                if key == "ci":
                    for name, (lower, upper) in value.items():
                        assert abs(result["ci"][name][0] - lower) <= 1e-9
                        assert abs(result["ci"][name][1] - upper) <= 1e-9
                elif isinstance(value, float):
                    assert abs(result[key] - value) <= 1e-9, key
                else:
                    assert result[key] == value


@THOROUGH
@given(
    base=st.sampled_from(["v1.0", "v2.0"]),
    overrides=profile_overrides(),
    reverse_keys=st.booleans(),
)
def test_profile_hash_is_stable_across_processes(
    hash_worker: Any, base: str, overrides: dict[str, Any], reverse_keys: bool
) -> None:
    params = derive_profile(builtin_profile(base), overrides)
    data = params.model_dump(mode="json")
    if reverse_keys:
        # Key order must not matter: the other process gets every object back to front.
        data = reversed_keys(data)
    assert hash_worker.hash_of(json.dumps(data)) == params.parameters_hash


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    return value
