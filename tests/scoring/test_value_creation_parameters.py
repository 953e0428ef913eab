"""Value-creation constants in the parameter profile: the DESIGN.md defaults, validation,
overrides, and a fingerprint of their own that leaves every stored score's hash as it was."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import pytest
from pydantic import ValidationError

from orgair_scoring import (
    DEFAULT_COST_PER_POINT,
    DIMENSIONS,
    ScoringParameters,
    ValueCreationParameters,
    builtin_profile,
    canonical_json,
    derive_profile,
    value_creation_json,
)

V1 = builtin_profile("v1.0")
V2 = builtin_profile("v2.0")

# Computed on main at c08a88e, before profiles had a value-creation part: every stored
# score carries one of these, so they must never change.
MAIN_V1_HASH = "0911adb6e30d51fd7c52db32cc8c9b4883ed841dd6f4f695a14604e1c62d519b"
MAIN_V2_HASH = "23eb174fcf0172f8fdb369b712260fe66209bab3a7d51331b1fb2ae3e39a0762"
MAIN_V1_CANONICAL_JSON = (
    '{"alpha":0.6,"beta":0.12,"ci":{"confidence":0.95,"max_reliability":0.99,'
    '"reliability":0.3,"sigma":{"hr":12.0,"org_air":14.0,"synergy":10.0,"vr":15.0}},'
    '"default_sector":{"avg_vr":50.0,"h_r_base":70.0,"timing":1.0},"delta_position":0.15,'
    '"lambda_penalty":0.25,"sectors":{"business_services":{"avg_vr":50.0,"h_r_base":75.0,'
    '"timing":1.0},"energy":{"avg_vr":50.0,"h_r_base":68.0,"timing":1.0},'
    '"financial_services":{"avg_vr":55.0,"h_r_base":80.0,"timing":1.0},"healthcare":'
    '{"avg_vr":52.0,"h_r_base":78.0,"timing":1.0},"manufacturing":{"avg_vr":45.0,'
    '"h_r_base":72.0,"timing":1.0},"real_estate":{"avg_vr":50.0,"h_r_base":65.0,'
    '"timing":1.0},"retail":{"avg_vr":48.0,"h_r_base":70.0,"timing":1.0},"technology":'
    '{"avg_vr":65.0,"h_r_base":85.0,"timing":1.0}},"talent_penalty":0.15,'
    '"talent_threshold":0.25,"timing_bounds":[0.8,1.2],"weights":{"ai_governance":0.2,'
    '"culture_change":0.05,"data_infrastructure":0.25,"leadership_vision":0.1,'
    '"talent_skills":0.15,"technology_stack":0.15,"use_case_portfolio":0.1}}'
)
# `ParameterProfile.parameters` of the v2.0 row as main stored it (model_dump_json).
MAIN_STORED_V2 = (
    '{"version":"v2.0","alpha":0.6,"beta":0.12,"lambda_penalty":0.25,"delta_position":0.15,'
    '"talent_penalty":0.15,"talent_threshold":0.25,"weights":{"data_infrastructure":0.18,'
    '"ai_governance":0.15,"technology_stack":0.15,"talent_skills":0.17,'
    '"leadership_vision":0.13,"use_case_portfolio":0.12,"culture_change":0.1},"sectors":'
    '{"manufacturing":{"h_r_base":72.0,"avg_vr":45.0,"timing":1.0},"healthcare":'
    '{"h_r_base":78.0,"avg_vr":52.0,"timing":1.0},"business_services":{"h_r_base":75.0,'
    '"avg_vr":50.0,"timing":1.0},"retail":{"h_r_base":70.0,"avg_vr":48.0,"timing":1.0},'
    '"financial_services":{"h_r_base":80.0,"avg_vr":55.0,"timing":1.0},"technology":'
    '{"h_r_base":85.0,"avg_vr":65.0,"timing":1.0},"energy":{"h_r_base":68.0,"avg_vr":50.0,'
    '"timing":1.0},"real_estate":{"h_r_base":65.0,"avg_vr":50.0,"timing":1.0}},'
    '"default_sector":{"h_r_base":70.0,"avg_vr":50.0,"timing":1.0},"timing_bounds":[0.8,1.2],'
    '"ci":{"confidence":0.95,"reliability":0.3,"max_reliability":0.99,"sigma":{"vr":15.0,'
    '"hr":12.0,"synergy":10.0,"org_air":14.0}}}'
)
DEFAULT_VALUE_CREATION_HASH = "ea78c5e7d50a769d162b33f07bde5b5f2f6ab56cffb32d3685987fd533d6a91a"


def error_fields(exc: ValidationError) -> list[str]:
    return [".".join(str(part) for part in error["loc"]) for error in exc.errors()]


# --- the scoring fingerprint is untouched ----------------------------------------------


def test_scoring_hashes_are_main_s_from_before_value_creation() -> None:
    assert V1.parameters_hash == MAIN_V1_HASH
    assert V2.parameters_hash == MAIN_V2_HASH
    assert canonical_json(V1) == MAIN_V1_CANONICAL_JSON
    assert "value_creation" not in canonical_json(V2)


def test_a_profile_stored_before_value_creation_loads_with_the_defaults_and_its_hash() -> None:
    stored = ScoringParameters.model_validate_json(MAIN_STORED_V2)
    assert stored.parameters_hash == MAIN_V2_HASH
    assert stored.value_creation == ValueCreationParameters()
    assert stored == V2


def test_value_creation_overrides_change_only_their_own_hash() -> None:
    custom = derive_profile(
        V2, {"value_creation": {"gamma_0": 0.003, "cost_per_point": {"talent_skills": 25_000}}}
    )
    assert custom.parameters_hash == V2.parameters_hash
    assert custom.value_creation_hash != V2.value_creation_hash
    # Different numbers, so not "v2.0", even though the scoring numbers are the same.
    assert custom.version == "v2.0+custom"
    # Nested objects merge key by key.
    assert custom.value_creation.gamma_1 == V2.value_creation.gamma_1
    assert custom.value_creation.cost_per_point["talent_skills"] == 25_000
    assert custom.value_creation.cost_per_point["ai_governance"] == 8_000
    assert derive_profile(V2, {"value_creation": {"gamma_0": 0.0025}}).version == "v2.0"


# --- the DESIGN.md defaults ------------------------------------------------------------


def test_both_builtins_carry_the_design_defaults() -> None:
    for params in (V1, V2):
        value = params.value_creation
        assert (value.gamma_0, value.gamma_1, value.gamma_2, value.gamma_3) == (
            0.0025,
            0.05,
            0.025,
            0.01,
        )
        assert (value.conservative_multiplier, value.optimistic_multiplier) == (0.7, 1.4)
        assert value.risk_h_r_pivot == 50
        assert (value.high_priority_gap, value.medium_priority_gap) == (20, 10)
        assert dict(value.cost_per_point) == {
            "data_infrastructure": 15_000,
            "ai_governance": 8_000,
            "technology_stack": 20_000,
            "talent_skills": 30_000,
            "leadership_vision": 5_000,
            "use_case_portfolio": 12_000,
            "culture_change": 6_000,
        }
        assert list(value.cost_per_point) == list(DIMENSIONS)
        assert params.value_creation_hash == DEFAULT_VALUE_CREATION_HASH
    assert dict(DEFAULT_COST_PER_POINT) == dict(V2.value_creation.cost_per_point)


def test_value_creation_hash_is_sha256_of_its_canonical_json() -> None:
    text = value_creation_json(V2)
    assert V2.value_creation_hash == hashlib.sha256(text.encode()).hexdigest()
    assert " " not in text
    assert text.startswith('{"conservative_multiplier":0.7,"cost_per_point":{"ai_governance"')


def test_every_value_creation_number_changes_its_hash() -> None:
    changes: list[dict[str, Any]] = [
        {"gamma_0": 0.0026},
        {"gamma_1": 0.051},
        {"gamma_2": 0.026},
        {"gamma_3": 0.011},
        {"conservative_multiplier": 0.71},
        {"optimistic_multiplier": 1.41},
        {"risk_h_r_pivot": 51},
        {"high_priority_gap": 21},
        {"medium_priority_gap": 11},
        {"cost_per_point": {"culture_change": 6_001}},
    ]
    hashes = {
        derive_profile(V2, {"value_creation": change}).value_creation_hash for change in changes
    }
    assert len(hashes) == len(changes)
    assert V2.value_creation_hash not in hashes


@pytest.mark.parametrize("gap", [20.5, 100.0])
def test_a_gap_above_the_high_threshold_is_high(gap: float) -> None:
    assert V2.value_creation.priority(gap) == "high"


@pytest.mark.parametrize(("gap", "priority"), [(20.0, "medium"), (10.01, "medium"), (10.0, "low")])
def test_priority_thresholds_are_strict(gap: float, priority: str) -> None:
    assert V2.value_creation.priority(gap) == priority
    assert V2.value_creation.priority(0.0) == "low"


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"cost_per_point": {"talent_skills": 0}}, "value_creation.cost_per_point.talent_skills"),
        ({"cost_per_point": {"ai_governance": -5}}, "value_creation.cost_per_point.ai_governance"),
        (
            {"cost_per_point": {"culture_change": 1e13}},
            "value_creation.cost_per_point.culture_change",
        ),
        (
            {"cost_per_point": {"culture_change": math.inf}},
            "value_creation.cost_per_point.culture_change",
        ),
        ({"cost_per_point": {"morale": 1_000}}, "value_creation.cost_per_point"),
        ({"conservative_multiplier": 1.2}, "value_creation.conservative_multiplier"),
        ({"optimistic_multiplier": 0.9}, "value_creation.optimistic_multiplier"),
        ({"gamma_0": -0.001}, "value_creation.gamma_0"),
        ({"gamma_3": math.nan}, "value_creation.gamma_3"),
        ({"risk_h_r_pivot": 120}, "value_creation.risk_h_r_pivot"),
        ({"medium_priority_gap": 25}, "value_creation"),
        ({"speed": 1}, "value_creation.speed"),
    ],
)
def test_bad_value_creation_constants_are_rejected_naming_the_field(
    override: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        derive_profile(V2, {"value_creation": override})
    assert field in error_fields(caught.value)


def test_a_full_cost_table_must_name_all_seven_dimensions() -> None:
    costs = dict(DEFAULT_COST_PER_POINT)
    del costs["culture_change"]
    with pytest.raises(ValidationError, match="missing dimension\\(s\\) culture_change"):
        ValueCreationParameters(cost_per_point=costs)


def test_value_creation_constants_are_immutable() -> None:
    value = V2.value_creation
    with pytest.raises(ValidationError):
        value.gamma_0 = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        value.cost_per_point["talent_skills"] = 1.0  # type: ignore[index]
