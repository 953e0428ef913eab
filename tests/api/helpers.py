from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

V1 = "/api/v1"
MANUFACTURING = "550e8400-e29b-41d4-a716-446655440001"
TECHNOLOGY = "550e8400-e29b-41d4-a716-446655440006"
ALL_DIMENSIONS = (
    "data_infrastructure",
    "ai_governance",
    "technology_stack",
    "talent_skills",
    "leadership_vision",
    "use_case_portfolio",
    "culture_change",
)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for field in ("type", "title", "detail", "instance", "correlation_id"):
        assert field in body, field
    return body


def create_company(client: TestClient, **fields: Any) -> dict[str, Any]:
    payload = {"name": "Acme Robotics", "ticker": "acme", "industry_id": MANUFACTURING} | fields
    response = client.post(f"{V1}/companies", json=payload)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def create_assessment(client: TestClient, company_id: str, **fields: Any) -> dict[str, Any]:
    payload = {
        "company_id": company_id,
        "assessment_type": "due_diligence",
        "assessment_date": "2026-11-01",
        "primary_assessor": "Jane Analyst",
    } | fields
    response = client.post(f"{V1}/assessments", json=payload)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]
