from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import ALL_DIMENSIONS, V1, create_assessment, create_company

V2 = "/api/v2"
MANUFACTURING = "550e8400-e29b-41d4-a716-446655440001"
TECHNOLOGY = "550e8400-e29b-41d4-a716-446655440006"


def submitted_assessment(
    client: TestClient,
    company_id: str,
    dimension_score: float | dict[str, float],
    *,
    talent_concentration: float | None = 0.2,
    market_cap_percentile: float | None = 0.5,
    evidence_count: int = 3,
    omit: tuple[str, ...] = (),
    **fields: Any,
) -> dict[str, Any]:
    """An assessment with its dimension scores and inputs, walked to `submitted`."""
    inputs = {"talent_concentration": talent_concentration,
              "market_cap_percentile": market_cap_percentile}  # fmt: skip
    assessment = create_assessment(
        client, company_id, **{k: v for k, v in inputs.items() if v is not None}, **fields
    )
    scores = (
        dimension_score
        if isinstance(dimension_score, dict)
        else {name: dimension_score for name in ALL_DIMENSIONS}
    )
    payload = [
        {"dimension": name, "score": value, "evidence_count": evidence_count}
        for name, value in scores.items()
        if name not in omit
    ]
    if payload:
        response = client.post(
            f"{V1}/assessments/{assessment['id']}/scores", json={"scores": payload}
        )
        assert response.status_code == 201, response.text
    for status in ("in_progress", "submitted"):
        response = client.patch(
            f"{V1}/assessments/{assessment['id']}/status", json={"status": status}
        )
        assert response.status_code == 200, response.text
    return assessment


def score(client: TestClient, assessment_id: str, **body: Any) -> Any:
    return client.post(f"{V2}/assessments/{assessment_id}/score", json=body or None)


def company(client: TestClient, industry_id: str = MANUFACTURING, **fields: Any) -> dict[str, Any]:
    return create_company(client, industry_id=industry_id, **fields)
