from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.api.helpers import MANUFACTURING, V1, assert_problem

EXPECTED = {
    1: ("Manufacturing", "manufacturing", 72),
    2: ("Healthcare Services", "healthcare", 78),
    3: ("Business Services", "business_services", 75),
    4: ("Retail", "retail", 70),
    5: ("Financial Services", "financial_services", 80),
    6: ("Technology", "technology", 85),
    7: ("Energy", "energy", 68),
    8: ("Real Estate", "real_estate", 65),
}


def test_seeded_industries_match_the_cs1_contract(client: TestClient) -> None:
    response = client.get(f"{V1}/industries")
    assert response.status_code == 200
    by_id = {item["id"]: item for item in response.json()}
    assert len(by_id) == 8
    for n, (name, sector, h_r_base) in EXPECTED.items():
        item = by_id[f"550e8400-e29b-41d4-a716-44665544000{n}"]
        assert (item["name"], item["sector"], item["h_r_base"]) == (name, sector, h_r_base)


def test_get_one_and_missing(client: TestClient) -> None:
    assert client.get(f"{V1}/industries/{MANUFACTURING}").json()["name"] == "Manufacturing"
    assert_problem(client.get(f"{V1}/industries/{uuid.uuid4()}"), 404)


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get(f"{V1}/no-such-thing"), 404)
    assert_problem(client.delete(f"{V1}/industries"), 405)
