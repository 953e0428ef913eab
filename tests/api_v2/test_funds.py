"""Funds: CRUD, membership over time, roles, and the Fund-AI-R summary."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgair_auth import Role
from orgair_domain.funds.summary import MemberScore, sector_quartile, summarize
from tests.api.helpers import assert_problem
from tests.api_v2.helpers import TECHNOLOGY, V2, company, score, submitted_assessment

HEALTHCARE = "550e8400-e29b-41d4-a716-446655440002"
REAL_ESTATE = "550e8400-e29b-41d4-a716-446655440008"


def scored_company(
    client: TestClient, industry: str, dimension_score: float, name: str
) -> dict[str, Any]:
    subject = company(client, industry_id=industry, name=name)
    response = score(client, submitted_assessment(client, subject["id"], dimension_score)["id"])
    assert response.status_code == 201, response.text
    return {**subject, "score": response.json()}


def create_fund(
    client: TestClient, members: list[dict[str, Any]], name: str = "Growth Fund I"
) -> dict[str, Any]:
    response = client.post(f"{V2}/funds", json={"name": name, "members": members})
    assert response.status_code == 201, response.text
    fund: dict[str, Any] = response.json()
    return fund


def test_fund_crud_and_soft_delete(client: TestClient) -> None:
    fund = create_fund(client, [], name="  Fund A  ")
    assert fund["name"] == "Fund A" and fund["member_count"] == 0
    assert fund["created_by"] == "test-admin-key"
    renamed = client.patch(f"{V2}/funds/{fund['id']}", json={"description": "Buyout"})
    assert renamed.json()["description"] == "Buyout" and renamed.json()["name"] == "Fund A"
    assert_problem(client.patch(f"{V2}/funds/{fund['id']}", json={"name": None}), 422)
    listed = client.get(f"{V2}/funds", params={"page_size": 100}).json()
    assert fund["id"] in {item["id"] for item in listed["items"]}
    assert client.delete(f"{V2}/funds/{fund['id']}").status_code == 204
    assert_problem(client.get(f"{V2}/funds/{fund['id']}"), 404)
    assert_problem(client.get(f"{V2}/funds/{uuid.uuid4()}/summary"), 404)


def test_members_join_leave_and_change_ev_over_time(client: TestClient) -> None:
    first, second = company(client, name="First"), company(client, name="Second")
    fund = create_fund(client, [{"company_id": first["id"], "ev_usd": 1_000_000}])
    url = f"{V2}/funds/{fund['id']}/members"
    added = client.post(url, json={"members": [{"company_id": second["id"]}]})
    assert added.status_code == 201 and added.json()[0]["ev_usd"] is None
    body = assert_problem(client.post(url, json={"members": [{"company_id": first["id"]}]}), 409)
    assert body["company_ids"] == [first["id"]]
    unknown = client.post(url, json={"members": [{"company_id": str(uuid.uuid4())}]})
    assert assert_problem(unknown, 400)["errors"][0]["pointer"] == "/body/members/0/company_id"
    twice = {"members": [{"company_id": second["id"]}, {"company_id": second["id"]}]}
    assert_problem(client.post(url, json=twice), 422)
    assert_problem(
        client.post(url, json={"members": [{"company_id": first["id"], "ev_usd": -1}]}), 422
    )

    changed = client.put(f"{url}/{first['id']}", json={"ev_usd": 2_500_000})
    assert changed.status_code == 200 and changed.json()["ev_usd"] == 2_500_000
    assert client.delete(f"{url}/{second['id']}").status_code == 204
    assert_problem(client.delete(f"{url}/{second['id']}"), 404)

    current = client.get(url).json()
    assert [(m["company_id"], m["ev_usd"]) for m in current["items"]] == [(first["id"], 2_500_000)]
    history = client.get(url, params={"include_removed": True}).json()["items"]
    intervals = sorted((m["company_id"], m["ev_usd"], m["removed_at"] is None) for m in history)
    assert intervals == sorted([
        (first["id"], 1_000_000, False), (first["id"], 2_500_000, True), (second["id"], None, False),
    ])  # fmt: skip
    closed = next(m for m in history if m["ev_usd"] == 1_000_000)
    reopened = next(m for m in history if m["ev_usd"] == 2_500_000)
    assert closed["removed_at"] == reopened["added_at"]  # no gap, no overlap
    assert client.get(f"{V2}/funds/{fund['id']}").json()["member_count"] == 1
    # A deleted company leaves every current view of the fund.
    assert client.delete(f"/api/v1/companies/{first['id']}").status_code == 204
    assert client.get(url).json()["total"] == 0


def test_viewers_read_analysts_write(
    client: TestClient, client_as: Callable[[Role], TestClient]
) -> None:
    viewer, analyst = client_as(Role.VIEWER), client_as(Role.ANALYST)
    assert_problem(viewer.post(f"{V2}/funds", json={"name": "Nope"}), 403)
    fund = analyst.post(f"{V2}/funds", json={"name": "Analyst Fund"})
    assert fund.status_code == 201
    fund_id = fund.json()["id"]
    assert viewer.get(f"{V2}/funds/{fund_id}").status_code == 200
    assert viewer.get(f"{V2}/funds/{fund_id}/summary").status_code == 200
    assert viewer.get(f"{V2}/funds/{fund_id}/members").status_code == 200
    assert_problem(viewer.delete(f"{V2}/funds/{fund_id}"), 403)
    assert_problem(viewer.post(f"{V2}/funds/{fund_id}/scoring-jobs"), 403)


def test_summary_is_the_ev_weighted_fund_air_of_current_approved_scores(
    client: TestClient,
) -> None:
    leader = scored_company(client, TECHNOLOGY, 80, "Leader")
    middle = scored_company(client, HEALTHCARE, 60, "Middle")
    other = scored_company(client, REAL_ESTATE, 62, "Other Sector")
    held = scored_company(client, TECHNOLOGY, 10, "Held For Review")  # pending: unscored
    never = company(client, name="Never Scored")
    members = [
        {"company_id": leader["id"], "ev_usd": 300.0},
        {"company_id": middle["id"]},  # no EV: counts as 100
        {"company_id": other["id"], "ev_usd": 0.0},
        {"company_id": held["id"], "ev_usd": 50.0},
        {"company_id": never["id"], "ev_usd": 150.0},
    ]
    fund = create_fund(client, members)
    summary = client.get(f"{V2}/funds/{fund['id']}/summary").json()

    scores = {c["id"]: c["score"]["org_air"] for c in (leader, middle, other)}
    assert held["score"]["review_status"] == "pending_review"
    expected = (300 * scores[leader["id"]] + 100 * scores[middle["id"]] + 0) / (300 + 100 + 0)
    assert summary["fund_air"] == pytest.approx(expected, rel=1e-12)
    assert (summary["member_count"], summary["scored_count"], summary["unscored_count"]) == (
        5, 3, 2
    )  # fmt: skip
    assert {m["company_id"] for m in summary["unscored"]} == {held["id"], never["id"]}
    assert scores[leader["id"]] >= 70 and all(
        50 <= scores[c] < 70 for c in (middle["id"], other["id"])
    )
    assert [m["company_id"] for m in summary["leaders"]] == [leader["id"]]
    assert summary["laggards"] == []
    # EV shares by sector over all members (missing EV = 100): technology 300+50,
    # healthcare 100, real estate 0, manufacturing 150.
    total = 600.0
    shares = {"technology": 350 / total, "healthcare": 100 / total, "manufacturing": 150 / total,
              "real_estate": 0.0}  # fmt: skip
    assert {s["sector"]: s["ev_share"] for s in summary["sectors"]} == pytest.approx(shares)
    assert summary["sector_hhi"] == pytest.approx(sum(v * v for v in shares.values()))
    by_id = {m["company_id"]: m for m in summary["members"]}
    assert by_id[middle["id"]]["ev_weight"] == 100.0
    assert by_id[leader["id"]]["sector_quartile"] == sector_quartile(
        "technology", scores[leader["id"]]
    )
    assert by_id[other["id"]]["sector_quartile"] == sector_quartile("others", scores[other["id"]])
    assert by_id[never["id"]]["sector_quartile"] is None


@pytest.mark.parametrize(
    ("sector", "org_air", "quartile"),
    [
        ("technology", 75.0, "Q1"), ("technology", 74.99, "Q2"), ("technology", 65.0, "Q2"),
        ("technology", 55.0, "Q3"), ("technology", 54.9, "Q4"),
        ("healthcare", 70.0, "Q1"), ("healthcare", 58.0, "Q2"), ("healthcare", 48.0, "Q3"),
        ("financial_services", 72.0, "Q1"), ("financial_services", 50.0, "Q3"),
        ("manufacturing", 68.0, "Q1"), ("manufacturing", 44.9, "Q4"),
        ("retail", 65.0, "Q1"), ("retail", 42.0, "Q3"), ("energy", 60.0, "Q1"),
        ("energy", 37.9, "Q4"), ("business_services", 65.0, "Q1"), ("real_estate", 54.9, "Q3"),
        ("Technology ", 75.0, "Q1"),
    ],
)  # fmt: skip
def test_within_sector_quartile_cut_offs(sector: str, org_air: float, quartile: str) -> None:
    assert sector_quartile(sector, org_air) == quartile


def test_summary_edge_cases() -> None:
    now = datetime.now(UTC)
    empty = summarize(uuid.uuid4(), "Empty", [], now)
    assert (empty.fund_air, empty.sector_hhi, empty.member_count) == (None, None, 0)

    def member(org_air: float | None, ev: float | None, sector: str = "retail") -> MemberScore:
        return MemberScore(uuid.uuid4(), f"Co {uuid.uuid4().hex[:6]}", sector, ev, org_air,
                           uuid.uuid4() if org_air is not None else None)  # fmt: skip

    zero_weights = summarize(uuid.uuid4(), "Zero EV", [member(60, 0.0), member(None, 10.0)], now)
    assert zero_weights.fund_air is None  # every scored member weighs 0
    assert zero_weights.sector_hhi == pytest.approx(1.0)
    boundaries = summarize(
        uuid.uuid4(), "Edges", [member(70.0, 1), member(50.0, 1), member(49.99, 1)], now
    )
    assert [m.org_air for m in boundaries.leaders] == [70.0]
    assert [m.org_air for m in boundaries.laggards] == [49.99]
