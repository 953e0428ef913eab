from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import V1, assert_problem, create_assessment, create_company


def test_create_defaults_to_draft_and_reads_back(client: TestClient) -> None:
    company = create_company(client)
    created = create_assessment(
        client, company["id"], v_r_score=61.5, confidence_lower=55, confidence_upper=68
    )
    assert created["status"] == "draft"
    assert client.get(f"{V1}/assessments/{created['id']}").json() == created


def test_company_must_exist(client: TestClient) -> None:
    response = client.post(
        f"{V1}/assessments",
        json={"company_id": str(uuid.uuid4()), "assessment_type": "screening",
              "assessment_date": "2026-01-01"},
    )  # fmt: skip
    body = assert_problem(response, 400)
    assert "company_id" in body["detail"]


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"assessment_type": "vibes"}, "/body/assessment_type"),
        ({"v_r_score": 101}, "/body/v_r_score"),
        ({"confidence_lower": -1}, "/body/confidence_lower"),
        ({"confidence_lower": 70, "confidence_upper": 60}, "/body"),
        ({"status": "approved"}, "/body/status"),
    ],
)
def test_invalid_fields(client: TestClient, fields: dict[str, object], pointer: str) -> None:
    company = create_company(client)
    payload = {"company_id": company["id"], "assessment_type": "screening",
               "assessment_date": "2026-01-01"} | fields  # fmt: skip
    body = assert_problem(client.post(f"{V1}/assessments", json=payload), 422)
    assert pointer in {error["pointer"] for error in body["errors"]}


def test_missing_assessment_is_404(client: TestClient) -> None:
    assert_problem(client.get(f"{V1}/assessments/{uuid.uuid4()}"), 404)
    response = client.patch(f"{V1}/assessments/{uuid.uuid4()}/status", json={"status": "draft"})
    assert_problem(response, 404)


def test_list_filters_and_newest_first(client: TestClient) -> None:
    first_company = create_company(client, name="One")
    second_company = create_company(client, name="Two")
    a1 = create_assessment(client, first_company["id"], assessment_type="screening")
    a2 = create_assessment(client, first_company["id"], assessment_type="quarterly")
    a3 = create_assessment(client, second_company["id"], assessment_type="quarterly")
    client.patch(f"{V1}/assessments/{a2['id']}/status", json={"status": "in_progress"})

    every = client.get(f"{V1}/assessments").json()
    assert [item["id"] for item in every["items"]] == [a3["id"], a2["id"], a1["id"]]
    by_company = client.get(f"{V1}/assessments", params={"company_id": first_company["id"]})
    assert [item["id"] for item in by_company.json()["items"]] == [a2["id"], a1["id"]]
    by_status = client.get(f"{V1}/assessments", params={"status": "in_progress"})
    assert [item["id"] for item in by_status.json()["items"]] == [a2["id"]]
    by_type = client.get(f"{V1}/assessments", params={"assessment_type": "quarterly"}).json()
    assert [item["id"] for item in by_type["items"]] == [a3["id"], a2["id"]]
    assert by_type["total"] == 2
    assert_problem(client.get(f"{V1}/assessments", params={"status": "bogus"}), 422)


def walk(client: TestClient, assessment_id: str, *statuses: str) -> None:
    for status in statuses:
        response = client.patch(f"{V1}/assessments/{assessment_id}/status", json={"status": status})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status


def test_full_life_cycle(client: TestClient) -> None:
    assessment = create_assessment(client, create_company(client)["id"])
    walk(client, assessment["id"], "in_progress", "draft", "in_progress", "submitted",
         "in_progress", "submitted", "approved", "superseded")  # fmt: skip
    assert client.get(f"{V1}/assessments/{assessment['id']}").json()["status"] == "superseded"


@pytest.mark.parametrize(
    ("path", "target", "valid"),
    [
        ((), "approved", ["in_progress"]),
        ((), "submitted", ["in_progress"]),
        (("in_progress",), "approved", ["submitted", "draft"]),
        (("in_progress", "submitted"), "draft", ["approved", "in_progress"]),
        (("in_progress", "submitted", "approved"), "draft", ["superseded"]),
        (("in_progress", "submitted", "approved", "superseded"), "draft", []),
    ],
)
def test_invalid_transitions_name_the_valid_ones(
    client: TestClient, path: tuple[str, ...], target: str, valid: list[str]
) -> None:
    assessment = create_assessment(client, create_company(client)["id"])
    walk(client, assessment["id"], *path)
    response = client.patch(f"{V1}/assessments/{assessment['id']}/status", json={"status": target})
    body = assert_problem(response, 400)
    assert body["valid_transitions"] == valid
    for name in valid:
        assert name in body["detail"]
    if not valid:
        assert "terminal" in body["detail"]
    # Nothing changed.
    current = client.get(f"{V1}/assessments/{assessment['id']}").json()["status"]
    assert current == (path[-1] if path else "draft")


def test_unknown_status_is_422(client: TestClient) -> None:
    assessment = create_assessment(client, create_company(client)["id"])
    response = client.patch(f"{V1}/assessments/{assessment['id']}/status", json={"status": "done"})
    assert_problem(response, 422)


def test_v1_read_points_to_its_v2_successor(client: TestClient) -> None:
    assessment = create_assessment(client, create_company(client)["id"])
    response = client.get(f"{V1}/assessments/{assessment['id']}")
    assert response.headers["Deprecation"] == "true"
    assert f"/api/v2/assessments/{assessment['id']}" in response.headers["Link"]
    assert "successor-version" in response.headers["Link"]


# ------------------------------------------------------ assessment_date (CS1)


def post_assessment(client: TestClient, **fields: object) -> httpx2.Response:
    company = create_company(client)
    payload = {"company_id": company["id"], "assessment_type": "screening"} | fields
    response: httpx2.Response = client.post(f"{V1}/assessments", json=payload)
    return response


def test_assessment_date_defaults_to_today_in_utc(client: TestClient) -> None:
    before = datetime.now(UTC).date()
    response = post_assessment(client)
    after = datetime.now(UTC).date()
    assert response.status_code == 201, response.text
    stored = date.fromisoformat(response.json()["assessment_date"])
    assert stored in {before, after}  # the two differ only across midnight UTC
    read = client.get(f"{V1}/assessments/{response.json()['id']}").json()
    assert read["assessment_date"] == response.json()["assessment_date"]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-01-31", "2026-01-31"),
        # 23:30 in New York (UTC-5) is already the next day in UTC.
        ("2026-03-01T23:30:00-05:00", "2026-03-02"),
        # 01:30 in Kolkata (UTC+5:30) is still the previous day in UTC.
        ("2026-03-02T01:30:00+05:30", "2026-03-01"),
        ("2026-03-01T23:30:00Z", "2026-03-01"),
        # Without an offset a date-time is UTC.
        ("2026-03-01T23:30:00", "2026-03-01"),
    ],
)
def test_assessment_date_takes_the_utc_date_of_a_date_time(
    client: TestClient, sent: str, stored: str
) -> None:
    response = post_assessment(client, assessment_date=sent)
    assert response.status_code == 201, response.text
    assert response.json()["assessment_date"] == stored


@pytest.mark.parametrize(
    "sent", ["soon", "2026-13-01", "2026-02-30T10:00:00", "2026-03-01T25:00:00Z", None, ""]
)
def test_assessment_date_that_is_no_date_is_a_422_problem(client: TestClient, sent: object) -> None:
    body = assert_problem(post_assessment(client, assessment_date=sent), 422)
    assert [error["pointer"] for error in body["errors"]] == ["/body/assessment_date"]
    assert client.get(f"{V1}/assessments").json()["total"] == 0


def test_openapi_describes_the_assessment_date(client: TestClient) -> None:
    from orgair_scoring_api.openapi_document import scoring_openapi

    field = scoring_openapi()["components"]["schemas"]["AssessmentCreate"]["properties"][
        "assessment_date"
    ]
    assert "UTC" in field["description"] and "date-time" in field["description"]
    assert {"type": "string", "format": "date-time"} in field["anyOf"]
    assert "assessment_date" not in scoring_openapi()["components"]["schemas"][
        "AssessmentCreate"
    ].get("required", [])
