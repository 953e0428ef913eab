"""Parameter profiles: built-ins, settings, custom derivation, validation and the hash."""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
from typing import Any

import pytest
from pydantic import ValidationError

from orgair_config import ScoringSettings
from orgair_scoring import (
    DEFAULT_SECTOR_H_R_BASE,
    V1_WEIGHTS,
    V2_DEFAULT_WEIGHTS,
    ScoringParameters,
    UnknownProfileError,
    builtin_profile,
    canonical_json,
    derive_profile,
    parameters_hash,
    profile_from_settings,
)

V1 = builtin_profile("v1.0")
V2 = builtin_profile("v2.0")


def error_fields(exc: ValidationError) -> list[str]:
    return [".".join(str(part) for part in error["loc"]) for error in exc.errors()]


def test_v1_is_the_cs1_profile() -> None:
    assert dict(V1.weights) == dict(V1_WEIGHTS)
    assert (V1.alpha, V1.beta, V1.lambda_penalty, V1.delta_position) == (0.60, 0.12, 0.25, 0.15)
    assert (V1.talent_penalty, V1.talent_threshold, V1.timing_bounds) == (0.15, 0.25, (0.8, 1.2))
    assert (V1.ci.confidence, V1.ci.reliability, V1.ci.max_reliability) == (0.95, 0.30, 0.99)
    assert V1.ci.sigma.model_dump() == {"vr": 15, "hr": 12, "synergy": 10, "org_air": 14}


def test_v2_defaults_are_the_lab_settings_defaults() -> None:
    assert dict(V2.weights) == dict(V2_DEFAULT_WEIGHTS)
    assert dict(V2.weights) == ScoringSettings().dimension_weights
    assert V2.version == "v2.0"


def test_sector_table_is_the_seed_industries() -> None:
    expected = {
        "manufacturing": (72, 45),
        "healthcare": (78, 52),
        "business_services": (75, 50),
        "retail": (70, 48),
        "financial_services": (80, 55),
        "technology": (85, 65),
        "energy": (68, 50),
        "real_estate": (65, 50),
    }
    actual = {key: (s.h_r_base, s.avg_vr) for key, s in V2.sectors.items()}
    assert actual == expected
    assert all(sector.timing == 1.0 for sector in V2.sectors.values())
    others = V2.default_sector
    assert (others.h_r_base, others.avg_vr, others.timing) == (DEFAULT_SECTOR_H_R_BASE, 50, 1.0)
    assert V2.sector_for("mining") == others


def test_unknown_builtin_profile_is_rejected() -> None:
    with pytest.raises(UnknownProfileError, match=r"'v3\.0'.*v1\.0, v2\.0"):
        builtin_profile("v3.0")


def test_v2_takes_its_coefficients_and_weights_from_settings(
    scoring_env: dict[str, str],
) -> None:
    settings = ScoringSettings(
        ALPHA_VR_WEIGHT=0.65,
        BETA_SYNERGY_WEIGHT=0.10,
        LAMBDA_PENALTY=0.30,
        DELTA_POSITION=0.12,
        W_DATA_INFRA=0.20,
        W_CULTURE=0.08,
    )
    params = profile_from_settings("v2.0", settings)
    assert params.version == "v2.0"
    assert (params.alpha, params.beta, params.lambda_penalty, params.delta_position) == (
        0.65,
        0.10,
        0.30,
        0.12,
    )
    assert dict(params.weights) == settings.dimension_weights
    assert params.parameters_hash != V2.parameters_hash
    # Unchanged settings give exactly the built-in v2.0.
    assert profile_from_settings("v2.0", ScoringSettings()) == V2


def test_v1_ignores_settings(scoring_env: dict[str, str]) -> None:
    settings = ScoringSettings(ALPHA_VR_WEIGHT=0.70)
    assert profile_from_settings("v1.0", settings) == V1
    with pytest.raises(UnknownProfileError):
        profile_from_settings("v9", settings)


# --- validation ------------------------------------------------------------------------


def v2_data(**changes: Any) -> dict[str, Any]:
    return V2.model_dump() | changes


def test_weights_not_summing_to_one_are_rejected() -> None:
    weights = dict(V2.weights) | {"culture_change": 0.2}
    with pytest.raises(ValidationError) as caught:
        ScoringParameters.model_validate(v2_data(weights=weights))
    assert error_fields(caught.value) == ["weights"]
    assert "must sum to 1" in str(caught.value)
    assert "1.100000" in str(caught.value)


def test_weights_within_the_tolerance_are_accepted() -> None:
    weights = dict(V2.weights) | {"culture_change": 0.1009}
    assert ScoringParameters.model_validate(v2_data(weights=weights)).weights["culture_change"]


def test_missing_and_unknown_weights_are_named() -> None:
    weights = {key: value for key, value in V2.weights.items() if key != "culture_change"}
    weights["culture"] = 0.10
    with pytest.raises(ValidationError) as caught:
        ScoringParameters.model_validate(v2_data(weights=weights))
    message = str(caught.value)
    assert "missing dimension(s) culture_change" in message
    assert "unknown dimension(s) culture" in message


def test_a_weight_out_of_range_names_its_key() -> None:
    weights = dict(V2.weights) | {"culture_change": -0.1}
    with pytest.raises(ValidationError) as caught:
        ScoringParameters.model_validate(v2_data(weights=weights))
    assert "weights.culture_change" in error_fields(caught.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"alpha": 1.5}, "alpha"),
        ({"beta": -0.1}, "beta"),
        ({"lambda_penalty": -1}, "lambda_penalty"),
        ({"delta_position": 2}, "delta_position"),
        ({"talent_threshold": 1.2}, "talent_threshold"),
        ({"alpha": float("nan")}, "alpha"),
        ({"version": ""}, "version"),
        ({"alpah": 0.6}, "alpah"),
        ({"ci": {"confidence": 1.0}}, "ci.confidence"),
        ({"ci": {"sigma": {"vr": -1}}}, "ci.sigma.vr"),
        ({"sectors": {"retail": {"h_r_base": 101}}}, "sectors.retail.h_r_base"),
        ({"sectors": {"mining": {"timing": 1.0}}}, "sectors.mining.h_r_base"),
        ({"default_sector": {"avg_vr": -5}}, "default_sector.avg_vr"),
        ({"timing_bounds": [1.2, 0.8]}, "timing_bounds"),
    ],
)
def test_invalid_parameters_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        derive_profile(V2, changes)
    assert field in error_fields(caught.value)


def test_sector_keys_must_be_lower_case_identifiers() -> None:
    retail = V2.sectors["retail"].model_dump()
    with pytest.raises(ValidationError) as caught:
        derive_profile(V2, {"sectors": {"Retail": retail}})
    assert error_fields(caught.value) == ["sectors.Retail.[key]"]


def test_a_sector_timing_outside_the_bounds_is_named() -> None:
    with pytest.raises(ValidationError, match=r"sectors\.retail\.timing: 1\.5 is outside"):
        derive_profile(V2, {"sectors": {"retail": {"timing": 1.5}}})


# --- custom profiles -------------------------------------------------------------------


def test_derive_profile_deep_merges_nested_objects() -> None:
    custom = derive_profile(
        V2,
        {
            "alpha": 0.65,
            "sectors": {
                "retail": {"timing": 1.1},
                "mining": {"h_r_base": 60, "avg_vr": 40, "timing": 0.9},
            },
            "ci": {"sigma": {"org_air": 12}},
            "weights": {"data_infrastructure": 0.20, "culture_change": 0.08},
        },
    )
    assert custom.alpha == 0.65
    assert custom.beta == V2.beta
    assert custom.sectors["retail"].model_dump() == {"h_r_base": 70, "avg_vr": 48, "timing": 1.1}
    assert custom.sectors["mining"].h_r_base == 60
    assert custom.sectors["technology"] == V2.sectors["technology"]
    assert custom.ci.sigma.model_dump() == {"vr": 15, "hr": 12, "synergy": 10, "org_air": 12}
    assert custom.ci.confidence == V2.ci.confidence
    assert custom.weights["data_infrastructure"] == 0.20
    assert custom.weights["ai_governance"] == V2.weights["ai_governance"]


def test_derived_profiles_are_named_custom_unless_named() -> None:
    assert derive_profile(V2, {"alpha": 0.65}).version == "v2.0+custom"
    assert derive_profile(V1, {"alpha": 0.65}).version == "v1.0+custom"
    assert derive_profile(V2, {"alpha": 0.65, "version": "acme-2026"}).version == "acme-2026"
    # The same numbers are still the base profile.
    assert derive_profile(V2, {"alpha": 0.60}) == V2
    twice = derive_profile(derive_profile(V2, {"alpha": 0.65}), {"beta": 0.1})
    assert twice.version == "v2.0+custom"


def test_a_full_profile_replaces_the_base() -> None:
    full = V1.model_dump() | {"version": "mine"}
    custom = derive_profile(V2, full)
    assert custom.version == "mine"
    assert custom.parameters_hash == V1.parameters_hash


# --- immutability and the hash ---------------------------------------------------------


def test_profiles_are_immutable() -> None:
    with pytest.raises(ValidationError):
        V2.alpha = 0.5
    with pytest.raises(TypeError):
        V2.weights["culture_change"] = 0.5  # type: ignore[index]
    with pytest.raises(TypeError):
        V2.sectors["retail"] = V2.default_sector  # type: ignore[index]


def test_model_copy_validates_and_rehashes() -> None:
    copied = V2.model_copy(update={"alpha": 0.7})
    assert copied.alpha == 0.7
    assert copied.parameters_hash != V2.parameters_hash
    with pytest.raises(ValidationError):
        V2.model_copy(update={"alpha": 7})


def test_profiles_survive_pickle_and_deepcopy() -> None:
    for restored in (pickle.loads(pickle.dumps(V2)), copy.deepcopy(V2)):
        assert restored == V2
        assert restored.parameters_hash == V2.parameters_hash
        assert {V2: "ok"}[restored] == "ok"


def test_hash_is_sha256_of_the_canonical_json() -> None:
    text = canonical_json(V2)
    assert parameters_hash(V2) == V2.parameters_hash
    assert V2.parameters_hash == hashlib.sha256(text.encode()).hexdigest()
    assert " " not in text and "\n" not in text
    decoded = json.loads(text)
    assert list(decoded) == sorted(decoded)
    assert "version" not in decoded
    assert decoded["weights"]["data_infrastructure"] == 0.18


def test_hash_covers_every_number_but_not_the_name() -> None:
    renamed = derive_profile(V2, {"version": "another-name"})
    assert renamed.parameters_hash == V2.parameters_hash
    changes: list[dict[str, Any]] = [
        {"alpha": 0.61},
        {"talent_threshold": 0.3},
        {"sectors": {"retail": {"avg_vr": 49}}},
        {"default_sector": {"h_r_base": 71}},
        {"timing_bounds": [0.8, 1.25]},
        {"ci": {"sigma": {"hr": 12.5}}},
        {"weights": {"data_infrastructure": 0.19, "culture_change": 0.09}},
    ]
    hashes = {derive_profile(V2, change).parameters_hash for change in changes}
    assert len(hashes) == len(changes)
    assert V2.parameters_hash not in hashes


def test_hash_ignores_key_order_and_number_spelling() -> None:
    data = V2.model_dump()
    reordered = {key: data[key] for key in reversed(list(data))}
    reordered["sectors"] = dict(reversed(list(data["sectors"].items())))
    reordered["weights"] = dict(reversed(list(data["weights"].items())))
    reordered["ci"] = data["ci"] | {"sigma": {"org_air": 14, "synergy": 10, "hr": 12, "vr": 15}}
    reordered["default_sector"] = {"timing": 1, "avg_vr": 50, "h_r_base": 70}
    assert ScoringParameters.model_validate(reordered).parameters_hash == V2.parameters_hash
    negative_zero = derive_profile(V2, {"lambda_penalty": -0.0})
    assert (
        negative_zero.parameters_hash == derive_profile(V2, {"lambda_penalty": 0.0}).parameters_hash
    )


def test_builtin_profile_hashes_are_pinned() -> None:
    # Stored scores carry these hashes: if the canonical form or a built-in number changes,
    # this fails before any stored score silently stops matching its profile.
    assert V1.parameters_hash == "0911adb6e30d51fd7c52db32cc8c9b4883ed841dd6f4f695a14604e1c62d519b"
    assert V2.parameters_hash == "23eb174fcf0172f8fdb369b712260fe66209bab3a7d51331b1fb2ae3e39a0762"
