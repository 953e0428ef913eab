"""CompanyInputs: bad values are rejected with the field named, never clamped."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from orgair_scoring import DIMENSIONS, CompanyInputs


def valid_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "acme",
        "sector": "technology",
        "dimensions": dict.fromkeys(DIMENSIONS, 50.0),
        "talent_concentration": 0.3,
        "market_cap_percentile": 0.5,
        "evidence_count": 3,
    }
    return data | changes


def rejected_fields(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        CompanyInputs.model_validate(data)
    return [".".join(str(part) for part in error["loc"]) for error in caught.value.errors()]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("talent_concentration", 1.01),
        ("talent_concentration", -0.01),
        ("market_cap_percentile", 1.5),
        ("h_r_base", 100.5),
        ("h_r_base", -1),
        ("alignment", 1.2),
        ("timing_factor", 0),
        ("timing_factor", -1.0),
        ("evidence_count", -1),
        ("evidence_count", 2.5),
        ("talent_concentration", float("nan")),
        ("market_cap_percentile", float("inf")),
        ("id", ""),
        ("sector", "   "),
        ("alignment", "high"),
    ],
)
def test_out_of_range_values_name_the_field(field: str, value: Any) -> None:
    assert rejected_fields(valid_data(**{field: value})) == [field]


@pytest.mark.parametrize(
    "field", ["id", "sector", "dimensions", "talent_concentration", "evidence_count"]
)
def test_missing_required_fields_are_named(field: str) -> None:
    data = valid_data()
    del data[field]
    assert rejected_fields(data) == [field]


def test_a_dimension_out_of_range_names_the_dimension() -> None:
    dimensions = dict.fromkeys(DIMENSIONS, 50.0) | {"culture_change": 100.01}
    assert rejected_fields(valid_data(dimensions=dimensions)) == ["dimensions.culture_change"]


def test_missing_and_unknown_dimensions_are_named() -> None:
    dimensions = dict.fromkeys(DIMENSIONS[:-1], 50.0) | {"culture": 50.0}
    with pytest.raises(ValidationError) as caught:
        CompanyInputs.model_validate(valid_data(dimensions=dimensions))
    message = str(caught.value)
    assert "dimensions" in message
    assert "missing dimension(s) culture_change" in message
    assert "unknown dimension(s) culture" in message


def test_unknown_fields_are_rejected_rather_than_ignored() -> None:
    # A typo in an optional field would otherwise silently fall back to its default.
    assert rejected_fields(valid_data(alignmnet=0.9)) == ["alignmnet"]


def test_boundaries_are_accepted_as_given() -> None:
    inputs = CompanyInputs.model_validate(
        valid_data(
            dimensions=dict.fromkeys(DIMENSIONS, 100.0) | {"culture_change": 0.0},
            talent_concentration=1.0,
            market_cap_percentile=0.0,
            h_r_base=100,
            alignment=0.0,
            timing_factor=3.0,
            evidence_count=0,
        )
    )
    # timing_factor outside [0.8, 1.2] is valid input: the formula clamps it, not validation.
    assert inputs.timing_factor == 3.0
    assert inputs.dimensions["culture_change"] == 0.0
    assert list(inputs.dimensions) == list(DIMENSIONS)


def test_sector_is_matched_case_insensitively() -> None:
    assert CompanyInputs.model_validate(valid_data(sector=" Financial_Services ")).sector == (
        "financial_services"
    )


def test_inputs_are_immutable_and_round_trip_as_json() -> None:
    inputs = CompanyInputs.model_validate(valid_data(alignment=0.4))
    with pytest.raises(TypeError):
        inputs.dimensions["culture_change"] = 1.0  # type: ignore[index]
    assert CompanyInputs.model_validate_json(inputs.model_dump_json()) == inputs
