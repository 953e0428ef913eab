from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.api.helpers import MANUFACTURING, TECHNOLOGY, V1, assert_problem, create_company


def test_create_and_read_back(client: TestClient) -> None:
    created = create_company(client, name="  Acme Robotics  ", position_factor=0.4)
    assert created["name"] == "Acme Robotics"
    assert created["ticker"] == "ACME"  # upper-cased
    assert created["is_deleted"] is False
    assert created["position_factor"] == 0.4
    assert created["created_at"] == created["updated_at"]
    fetched = client.get(f"{V1}/companies/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_position_factor_defaults_to_zero(client: TestClient) -> None:
    assert create_company(client)["position_factor"] == 0.0


def test_unknown_industry_is_400(client: TestClient) -> None:
    response = client.post(f"{V1}/companies", json={"name": "X", "industry_id": str(uuid.uuid4())})
    body = assert_problem(response, 400)
    assert "industry_id" in body["detail"]


def test_validation_errors_carry_json_pointers(client: TestClient) -> None:
    response = client.post(
        f"{V1}/companies",
        json={"name": "", "ticker": "WAYTOOLONGTICKER", "industry_id": MANUFACTURING,
              "position_factor": 1.5},
    )  # fmt: skip
    body = assert_problem(response, 422)
    pointers = {error["pointer"] for error in body["errors"]}
    assert pointers == {"/body/name", "/body/ticker", "/body/position_factor"}


def test_missing_company_is_404(client: TestClient) -> None:
    assert_problem(client.get(f"{V1}/companies/{uuid.uuid4()}"), 404)
    assert_problem(client.put(f"{V1}/companies/{uuid.uuid4()}", json={"name": "x"}), 404)
    assert_problem(client.delete(f"{V1}/companies/{uuid.uuid4()}"), 404)


def test_malformed_id_is_422(client: TestClient) -> None:
    body = assert_problem(client.get(f"{V1}/companies/not-a-uuid"), 422)
    assert body["errors"][0]["pointer"] == "/path/company_id"


def test_update_changes_only_given_fields(client: TestClient) -> None:
    company = create_company(client)
    response = client.put(
        f"{V1}/companies/{company['id']}", json={"name": "Acme Two", "industry_id": TECHNOLOGY}
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["name"] == "Acme Two"
    assert updated["industry_id"] == TECHNOLOGY
    assert updated["ticker"] == "ACME"
    assert updated["updated_at"] > company["updated_at"]
    assert client.get(f"{V1}/companies/{company['id']}").json()["name"] == "Acme Two"


def test_update_with_unknown_industry_is_400_and_changes_nothing(client: TestClient) -> None:
    company = create_company(client)
    response = client.put(
        f"{V1}/companies/{company['id']}",
        json={"name": "Renamed", "industry_id": str(uuid.uuid4())},
    )
    assert_problem(response, 400)
    assert client.get(f"{V1}/companies/{company['id']}").json()["name"] == company["name"]


def test_update_rejects_null_for_required_fields(client: TestClient) -> None:
    company = create_company(client)
    assert_problem(client.put(f"{V1}/companies/{company['id']}", json={"name": None}), 422)


def test_soft_delete_hides_everywhere_but_keeps_the_row(client: TestClient) -> None:
    company = create_company(client)
    assert client.get(f"{V1}/companies/{company['id']}").status_code == 200  # now cached
    response = client.delete(f"{V1}/companies/{company['id']}")
    assert response.status_code == 204
    assert_problem(client.get(f"{V1}/companies/{company['id']}"), 404)
    listed = client.get(f"{V1}/companies").json()
    assert company["id"] not in {item["id"] for item in listed["items"]}
    assert_problem(client.delete(f"{V1}/companies/{company['id']}"), 404)
    # The row is still there for history: assessments of it are refused, not orphaned.
    response = client.post(
        f"{V1}/assessments",
        json={"company_id": company["id"], "assessment_type": "screening",
              "assessment_date": "2026-01-01"},
    )  # fmt: skip
    assert_problem(response, 400)


def test_pagination_envelope_math(client: TestClient) -> None:
    for index in range(23):
        create_company(client, name=f"Company {index:02d}", ticker=None)
    first = client.get(f"{V1}/companies", params={"page_size": 10}).json()
    assert (first["total"], first["page"], first["page_size"], first["total_pages"]) == (
        23,
        1,
        10,
        3,
    )
    assert len(first["items"]) == 10
    last = client.get(f"{V1}/companies", params={"page": 3, "page_size": 10}).json()
    assert len(last["items"]) == 3
    beyond = client.get(f"{V1}/companies", params={"page": 4, "page_size": 10}).json()
    assert beyond["items"] == [] and beyond["total"] == 23
    default = client.get(f"{V1}/companies").json()
    assert default["page_size"] == 20 and len(default["items"]) == 20
    seen = {item["id"] for page in (1, 2, 3)
            for item in client.get(f"{V1}/companies", params={"page": page, "page_size": 10})
            .json()["items"]}  # fmt: skip
    assert len(seen) == 23  # pages neither overlap nor skip


def test_pagination_bounds(client: TestClient) -> None:
    assert_problem(client.get(f"{V1}/companies", params={"page": 0}), 422)
    assert_problem(client.get(f"{V1}/companies", params={"page_size": 101}), 422)
    assert_problem(client.get(f"{V1}/companies", params={"page_size": 0}), 422)


def test_filter_by_industry(client: TestClient) -> None:
    create_company(client, name="Maker")
    tech = create_company(client, name="Coder", industry_id=TECHNOLOGY)
    listed = client.get(f"{V1}/companies", params={"industry_id": TECHNOLOGY}).json()
    assert [item["id"] for item in listed["items"]] == [tech["id"]]
    assert listed["total"] == 1


def test_search_by_part_of_the_name_or_ticker_in_any_case(client: TestClient) -> None:
    create_company(client, name="Acme Robotics", ticker="acme")
    create_company(client, name="Beacon 100% Analytics", ticker="BCN", industry_id=TECHNOLOGY)
    gone = create_company(client, name="Acme Foundry", ticker="AFD")
    assert client.delete(f"{V1}/companies/{gone['id']}").status_code == 204

    def names(**params: str) -> list[str]:
        response = client.get(f"{V1}/companies", params=params)
        assert response.status_code == 200, response.text
        return sorted(item["name"] for item in response.json()["items"])

    assert names(q="ACME") == ["Acme Robotics"]  # a deleted company is never found
    assert names(q="bcn") == ["Beacon 100% Analytics"]  # the ticker too
    assert names(q="100%") == ["Beacon 100% Analytics"]
    assert names(q="%") == ["Beacon 100% Analytics"]  # LIKE wildcards are text
    assert names(q="_") == []
    assert names(q="a", industry_id=MANUFACTURING) == ["Acme Robotics"]
    assert_problem(client.get(f"{V1}/companies", params={"q": "x" * 256}), 422)
