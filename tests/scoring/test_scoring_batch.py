"""score_batch: columnar input, validation of columns, and agreement with score_company."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from orgair_scoring import (
    DIMENSIONS,
    ColumnValidationError,
    CompanyColumns,
    ScoreResult,
    builtin_profile,
    encode_sectors,
    score_batch,
    score_company,
)
from orgair_scoring.batch import BLOCK_ROWS

V2 = builtin_profile("v2.0")


def assert_same_result(batched: ScoreResult, scalar: ScoreResult) -> None:
    left, right = batched.to_json_dict(), scalar.to_json_dict()
    assert left.keys() == right.keys()
    for key, value in right.items():
        if key == "ci":
            for name, bounds in value.items():
                assert left[key][name] == pytest.approx(bounds, abs=1e-9), (key, name)
        elif isinstance(value, float):
            assert left[key] == pytest.approx(value, abs=1e-9), key
        else:
            assert left[key] == value, key


def random_columns(count: int, seed: int = 7) -> CompanyColumns:
    rng = np.random.default_rng(seed)

    def sometimes_missing(values: np.ndarray) -> np.ndarray:
        return np.where(rng.uniform(size=count) < 0.4, np.nan, values)

    names = (*V2.sectors, "mining", "Technology")
    return CompanyColumns(
        ids=[f"c{index}" for index in range(count)],
        sector_names=names,
        sector_codes=rng.integers(0, len(names), count),
        dimensions={name: rng.uniform(0, 100, count) for name in DIMENSIONS},
        talent_concentration=rng.uniform(0, 1, count),
        market_cap_percentile=rng.uniform(0, 1, count),
        evidence_count=rng.integers(0, 50, count).astype(np.float64),
        h_r_base=sometimes_missing(rng.uniform(0, 100, count)),
        alignment=sometimes_missing(rng.uniform(0, 1, count)),
        timing_factor=sometimes_missing(rng.uniform(0.5, 1.5, count)),
    )


def test_columns_spanning_several_blocks_match_score_company() -> None:
    columns = random_columns(2 * BLOCK_ROWS + 5)
    batch = score_batch(columns, V2)
    assert len(batch) == len(columns)
    rows = [0, 1, BLOCK_ROWS - 1, BLOCK_ROWS, BLOCK_ROWS + 1, 2 * BLOCK_ROWS, len(columns) - 1]
    rows += list(range(2, len(columns), 997))
    for row in rows:
        assert_same_result(batch.result(row), score_company(columns.inputs_at(row), V2))


def test_a_sequence_of_inputs_gives_the_same_as_its_columns() -> None:
    columns = random_columns(300)
    companies = [columns.inputs_at(row) for row in range(len(columns))]
    from_columns = score_batch(columns, V2)
    from_inputs = score_batch(companies, V2)
    for name in ("vr", "hr", "synergy", "org_air", "alignment", "timing_factor"):
        np.testing.assert_array_equal(getattr(from_inputs, name), getattr(from_columns, name))
    assert from_inputs.to_dicts() == from_columns.to_dicts()


def test_results_and_dicts_have_the_score_result_shape() -> None:
    columns = random_columns(50)
    batch = score_batch(columns, V2)
    results = batch.to_results()
    dicts = batch.to_dicts()
    for row, (result, data) in enumerate(zip(results, dicts, strict=True)):
        assert result == batch.result(row)
        assert data == result.to_json_dict()
        assert ScoreResult.model_validate(data) == result
    assert dicts[0]["parameters_hash"] == V2.parameters_hash
    assert set(dicts[0]["ci"]) == {"vr", "hr", "synergy", "org_air"}


def test_unknown_and_differently_cased_sectors() -> None:
    names = ("technology", "Technology", "mining")
    columns = CompanyColumns(
        ids=["a", "b", "c"],
        sector_names=names,
        sector_codes=np.array([0, 1, 2]),
        dimensions={name: np.full(3, 50.0) for name in DIMENSIONS},
        talent_concentration=np.full(3, 0.2),
        market_cap_percentile=np.full(3, 0.5),
        evidence_count=np.zeros(3),
    )
    batch = score_batch(columns, V2)
    # technology: PF = 0.6 · (50 - 65)/50 = -0.18, H^R = 85 · 0.973; mining → others: 70.
    assert batch.hr.tolist() == pytest.approx([82.705, 82.705, 70.0])


def test_an_empty_batch() -> None:
    batch = score_batch([], V2)
    assert len(batch) == 0
    assert batch.to_dicts() == []


def test_encode_sectors() -> None:
    names, codes = encode_sectors(["retail", "technology", "retail"])
    assert names == ("retail", "technology")
    assert codes.tolist() == [0, 1, 0]


def base_columns(**changes: Any) -> dict[str, Any]:
    count = 4
    data: dict[str, Any] = {
        "ids": ["a", "b", "c", "d"],
        "sector_names": ("technology",),
        "sector_codes": np.zeros(count, dtype=np.intp),
        "dimensions": {name: np.full(count, 50.0) for name in DIMENSIONS},
        "talent_concentration": np.full(count, 0.3),
        "market_cap_percentile": np.full(count, 0.5),
        "evidence_count": np.full(count, 2.0),
    }
    return data | changes


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"talent_concentration": np.array([0.1, 0.2, 1.5, 0.3])}, r"talent_concentration\[2\]"),
        (
            {"market_cap_percentile": np.array([0.1, np.nan, 0.5, 0.3])},
            r"market_cap_percentile\[1\]",
        ),
        ({"evidence_count": np.array([1.0, 2.0, 3.5, 1.0])}, r"evidence_count\[2\]: 3\.5 is not"),
        ({"evidence_count": np.array([1.0, -2.0, 3.0, 1.0])}, r"evidence_count\[1\]"),
        ({"h_r_base": np.array([np.nan, 120.0, np.nan, np.nan])}, r"h_r_base\[1\]"),
        ({"alignment": np.array([np.nan, np.nan, np.nan, -0.5])}, r"alignment\[3\]"),
        ({"timing_factor": np.array([np.nan, 0.0, 1.0, 1.0])}, r"timing_factor\[1\]: 0\.0 must"),
        ({"sector_codes": np.array([0, 0, 1, 0])}, r"sector_codes\[2\]"),
        ({"sector_codes": np.array([0.0, 0.0, 0.0, 0.0])}, r"sector_codes: must be integers"),
        ({"talent_concentration": np.full(3, 0.3)}, r"talent_concentration: expected shape"),
        (
            {"dimensions": {name: np.full(4, 50.0) for name in DIMENSIONS[1:]}},
            r"dimensions: missing data_infrastructure",
        ),
        (
            {
                "dimensions": {name: np.full(4, 50.0) for name in DIMENSIONS}
                | {"culture_change": np.array([50.0, 50.0, 50.0, 100.5])}
            },
            r"dimensions\.culture_change\[3\]",
        ),
    ],
)
def test_invalid_columns_name_the_column_and_row(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ColumnValidationError, match=message):
        CompanyColumns(**base_columns(**changes))


def test_all_missing_optional_columns_are_accepted() -> None:
    columns = CompanyColumns(**base_columns(h_r_base=np.full(4, np.nan)))
    # TC 0.3: V^R = 50 · (1 - 0.15 · 0.05) = 49.625; PF = 0.6 · (49.625 - 65)/50 = -0.1845;
    # the sector's H^R base applies: 85 · (1 - 0.15 · 0.1845) = 82.647625.
    assert score_batch(columns, V2).hr.tolist() == pytest.approx([82.647625] * 4, abs=1e-12)
