"""Inputs the database cannot hold, or a reader cannot see, are 422 problems naming the
field: integers past SQL INTEGER, names with control and invisible characters."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgair_database.values import INVISIBLE_RANGES, MAX_STORED_INT, find_invisible
from tests.api.helpers import (
    ALL_DIMENSIONS,
    MANUFACTURING,
    V1,
    assert_problem,
    create_assessment,
    create_company,
)

V2 = "/api/v2"
HUGE = 9_223_372_036_854_775_808  # 2**63: what made SQLite's driver overflow
INVISIBLE = {
    "NUL": "\x00",
    "right-to-left override": "\u202e",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "byte-order mark": "\ufeff",
    "line separator": "\u2028",
    "first strong isolate": "\u2068",
    "soft hyphen": "\u00ad",
    "tag latin small a": "\U000e0061",
    "escape": "\x1b",
    "newline": "\n",
}


def pointers(body: dict[str, Any]) -> list[str]:
    return [error["pointer"] for error in body["errors"]]


@pytest.mark.parametrize(
    "path",
    [
        f"{V1}/companies",
        f"{V1}/assessments",
        f"{V2}/funds",
        f"{V2}/reviews",
        f"{V2}/funds/{uuid.uuid4()}/members",
        f"{V2}/funds/{uuid.uuid4()}/scoring-jobs",
    ],
)
@pytest.mark.parametrize("page", [MAX_STORED_INT + 1, HUGE, 10**30])
def test_a_page_past_what_the_database_holds_is_422(
    client: TestClient, path: str, page: int
) -> None:
    body = assert_problem(client.get(path, params={"page": page}), 422)
    assert pointers(body) == ["/query/page"]
    assert_problem(client.get(path, params={"page_size": HUGE}), 422)


def test_the_last_page_that_fits_is_an_empty_page(client: TestClient) -> None:
    response = client.get(f"{V1}/companies", params={"page": MAX_STORED_INT, "page_size": 100})
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_an_evidence_count_past_what_the_database_holds_is_422(client: TestClient) -> None:
    company = create_company(client)
    assessment = create_assessment(client, company["id"])
    scores = [{"dimension": d, "score": 50, "evidence_count": 3} for d in ALL_DIMENSIONS]
    scores[2]["evidence_count"] = HUGE
    url = f"{V1}/assessments/{assessment['id']}/scores"
    body = assert_problem(client.post(url, json={"scores": scores}), 422)
    assert pointers(body) == ["/body/scores/2/evidence_count"]
    scores[2]["evidence_count"] = MAX_STORED_INT  # the largest that fits is stored
    created = client.post(url, json={"scores": scores})
    assert created.status_code == 201, created.text
    score_id = created.json()[0]["id"]
    body = assert_problem(
        client.put(f"{V1}/scores/{score_id}", json={"evidence_count": MAX_STORED_INT + 1}), 422
    )
    assert pointers(body) == ["/body/evidence_count"]


def test_a_preview_with_a_huge_evidence_count_is_422(client: TestClient) -> None:
    inputs = {
        "sector": "technology",
        "dimensions": dict.fromkeys(ALL_DIMENSIONS, 60),
        "talent_concentration": 0.2,
        "market_cap_percentile": 0.5,
        "evidence_count": 10**400,
    }
    body = assert_problem(client.post(f"{V2}/scoring/preview", json={"inputs": inputs}), 422)
    assert pointers(body) == ["/body/inputs/evidence_count"]


def test_an_infinite_timing_factor_is_422(client: TestClient) -> None:
    company = create_company(client)
    raw = (
        f'{{"company_id": "{company["id"]}", "assessment_type": "screening", '
        '"timing_factor": Infinity}'
    )
    response = client.post(
        f"{V1}/assessments", content=raw, headers={"Content-Type": "application/json"}
    )
    assert pointers(assert_problem(response, 422)) == ["/body/timing_factor"]


@pytest.mark.parametrize("character", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_names_with_invisible_characters_are_422_naming_the_field(
    client: TestClient, character: str
) -> None:
    name = f"Acme{character}Robotics"
    body = assert_problem(
        client.post(f"{V1}/companies", json={"name": name, "industry_id": MANUFACTURING}), 422
    )
    assert pointers(body) == ["/body/name"]
    assert body["errors"][0]["type"] == "invisible_character"
    assert f"U+{ord(character):04X}" in body["errors"][0]["detail"]
    company = create_company(client)
    assert pointers(
        assert_problem(client.put(f"{V1}/companies/{company['id']}", json={"name": name}), 422)
    ) == ["/body/name"]
    assessment = {
        "company_id": company["id"],
        "assessment_type": "screening",
        "primary_assessor": name,
    }
    assert pointers(assert_problem(client.post(f"{V1}/assessments", json=assessment), 422)) == [
        "/body/primary_assessor"
    ]
    fund = {"name": name, "members": [{"company_id": company["id"]}]}
    assert pointers(assert_problem(client.post(f"{V2}/funds", json=fund), 422)) == ["/body/name"]


def test_descriptions_keep_line_breaks_but_not_invisible_characters(client: TestClient) -> None:
    company = create_company(client)
    members = [{"company_id": company["id"]}]
    kept = client.post(
        f"{V2}/funds",
        json={"name": "Fund I", "description": "Line one\n\tLine two", "members": members},
    )
    assert kept.status_code == 201, kept.text
    assert kept.json()["description"] == "Line one\n\tLine two"
    refused = client.post(
        f"{V2}/funds",
        json={"name": "Fund II", "description": "Pay \u202eusd", "members": members},
    )
    assert pointers(assert_problem(refused, 422)) == ["/body/description"]


def test_ordinary_names_in_any_script_are_kept(client: TestClient) -> None:
    for name in (
        "Zoë Café GmbH",
        "株式会社テスト",
        "شركة الاختبار",
        "Acme 🚀 Ltd",
        "O'Brien & Co.",
    ):
        assert create_company(client, name=name, ticker=None)["name"] == name


def test_the_refused_ranges_are_unicode_control_format_and_separator_characters() -> None:
    """The table is computed once (see orgair_database.values); recompute it here."""
    refused = {"Cc", "Cf", "Cs", "Zl", "Zp"}
    expected: list[tuple[int, int]] = []
    start: int | None = None
    for code_point in range(0x110000):
        if unicodedata.category(chr(code_point)) in refused:
            if start is None:
                start = code_point
        elif start is not None:
            expected.append((start, code_point - 1))
            start = None
    assert tuple(expected) == INVISIBLE_RANGES
    assert find_invisible("a\tb\nc", allow_line_breaks=True) is None
    assert find_invisible("a\tb") == 1
