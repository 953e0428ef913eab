"""Value-creation plans through the API (issue 12, items 2 and 4), on SQLite and PostgreSQL.

A plan starts from the company's current approved score; its EBITDA projection decides
whether it waits for a reviewer (risk-adjusted > HITL_EBITDA_PROJECTION_THRESHOLD, 10 by
default) in the same queue as scores. Every number asserted here is the engine's own
function of the stored snapshot, or worked by hand from DESIGN.md §5.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from orgair_auth import Role
from orgair_config import Settings
from orgair_domain.value_creation.models import PlanReviewDecision, ValueCreationPlan
from orgair_scoring import CompanyInputs, ScoringParameters, improvement_plan, project_ebitda
from tests.api.helpers import assert_problem
from tests.api_v2.helpers import TECHNOLOGY, V2, company, score, submitted_assessment

THRESHOLD = 10.0  # HITL_EBITDA_PROJECTION_THRESHOLD's default


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Settings:
    """Both databases: the review queue is a UNION over two tables, the plans' JSON text
    and floats must round-trip on each."""
    if request.param == "sqlite":
        return make_settings()
    server: str = request.getfixturevalue("postgres_url")
    database = f"value_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {database}"))
    engine.dispose()
    return make_settings(DATABASE_URL=f"{server.rsplit('/', 1)[0]}/{database}")


def stored_rows(settings: Settings) -> tuple[int, int]:
    """(plans, plan decisions) in the database: what a refused request must not add."""
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            plans = connection.scalar(select(func.count()).select_from(ValueCreationPlan))
            decisions = connection.scalar(select(func.count()).select_from(PlanReviewDecision))
    finally:
        engine.dispose()
    return plans or 0, decisions or 0


def approved_company(client: TestClient, dimension_score: float = 15, **fields: Any) -> Any:
    """A technology company whose score (held: below the normal range) a reviewer approved."""
    subject = company(client, industry_id=TECHNOLOGY, **fields)
    scored = score(client, submitted_assessment(client, subject["id"], dimension_score)["id"])
    assert scored.status_code == 201, scored.text
    body = scored.json()
    if body["review_status"] == "pending_review":
        decided = client.post(f"{V2}/reviews/{body['id']}/decision", json={"decision": "approve"})
        assert decided.status_code == 200, decided.text
        body = decided.json()
    return {**subject, "score": body}


def plan(client: TestClient, company_id: str, target: float, **body: Any) -> Any:
    return client.post(
        f"{V2}/companies/{company_id}/value-creation-plans",
        json={"target_org_air": target, **body},
    )


def profile_params(client: TestClient, version: str) -> ScoringParameters:
    profile = client.get(f"{V2}/parameters/{version}").json()
    return ScoringParameters.model_validate(profile["parameters"])


def test_plan_is_stored_with_its_hashes_and_recomputes_equal(client: TestClient) -> None:
    subject = approved_company(client)
    current = subject["score"]
    response = plan(client, subject["id"], 80)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "value_creation_plan"
    assert (body["company_id"], body["score_id"]) == (subject["id"], current["id"])
    assert (body["entry_org_air"], body["h_r"]) == (current["org_air"], current["hr"])
    assert body["inputs"] == current["inputs"]  # the approved score's snapshot
    assert body["parameters_version"] == current["parameters_version"] == "v2.0"

    params = profile_params(client, body["parameters_version"])
    assert body["parameters_hash"] == params.parameters_hash == current["parameters_hash"]
    assert body["value_creation_hash"] == params.value_creation_hash
    # Recompute from what is stored: the same plan and the same projection, bit for bit.
    again = improvement_plan(CompanyInputs.model_validate(body["inputs"]), 80.0, params)
    assert again.to_json_dict()["dimensions"] == body["dimensions"]
    assert (again.current_org_air, again.projected_org_air, again.investment_usd) == (
        body["current_org_air"], body["projected_org_air"], body["investment_usd"]
    )  # fmt: skip
    assert body["reachable"] is True and body["projected_org_air"] >= 80
    projection = project_ebitda(
        current["org_air"], 80.0, current["hr"], params, review_threshold=THRESHOLD
    )
    assert body["ebitda"] == {**projection.to_json_dict(), "review_threshold": THRESHOLD}
    for name, dimension in body["dimensions"].items():
        assert dimension["current"] == current["inputs"]["dimensions"][name]
        assert dimension["current"] <= dimension["target"] <= 100

    # Stored: one plan, a company's page of plans (newest first), the same views.
    assert client.get(f"{V2}/value-creation-plans/{body['id']}").json() == body
    second = plan(client, subject["id"], 60).json()
    listed = client.get(
        f"{V2}/companies/{subject['id']}/value-creation-plans", params={"page_size": 1}
    ).json()
    assert (listed["total"], listed["total_pages"], listed["page_size"]) == (2, 2, 1)
    assert [item["id"] for item in listed["items"]] == [second["id"]]
    page_two = client.get(
        f"{V2}/companies/{subject['id']}/value-creation-plans",
        params={"page": 2, "page_size": 1},
    ).json()
    assert page_two["items"] == [body]


def test_a_projection_above_the_threshold_waits_for_review(client: TestClient) -> None:
    subject = approved_company(client)
    entry, h_r = subject["score"]["org_air"], subject["score"]["hr"]
    params = profile_params(client, "v2.0")
    below = project_ebitda(entry, 80.0, h_r, params, review_threshold=THRESHOLD)
    above = project_ebitda(entry, 90.0, h_r, params, review_threshold=THRESHOLD)
    # Entry ~35.7, H^R ~77: to 80 risk-adjusted ~7.99, to 90 ~11.15 (H^R > 50: no risk cut).
    assert below.risk_adjusted < THRESHOLD < above.risk_adjusted

    auto = plan(client, subject["id"], 80).json()
    assert (auto["review_status"], auto["review_reasons"]) == ("auto_approved", [])
    assert auto["approved_at"] is not None and auto["ebitda"]["requires_review"] is False
    held = plan(client, subject["id"], 90).json()
    assert held["review_status"] == "pending_review" and held["approved_at"] is None
    assert held["ebitda"]["risk_adjusted"] == above.risk_adjusted
    [reason] = held["review_reasons"]
    assert f"{above.risk_adjusted:.2f}" in reason and "threshold 10" in reason


def test_plans_and_scores_share_one_review_queue_with_the_same_rules(
    client: TestClient, client_as: Callable[[Role], TestClient], migrated: Settings
) -> None:
    subject = approved_company(client)
    rejected = plan(client, subject["id"], 90).json()
    approved = plan(client, subject["id"], 91).json()
    held_score = score(client, submitted_assessment(client, company(client)["id"], 10)["id"]).json()
    assert held_score["review_status"] == "pending_review"

    queue = client.get(f"{V2}/reviews", params={"page_size": 100}).json()
    kinds = {item["id"]: item["kind"] for item in queue["items"]}
    assert kinds[rejected["id"]] == kinds[approved["id"]] == "value_creation_plan"
    assert kinds[held_score["id"]] == "score"
    assert queue["total"] == len(queue["items"])
    order = [item["id"] for item in queue["items"]]
    assert (
        order.index(rejected["id"]) < order.index(approved["id"]) < order.index(held_score["id"])
    )  # oldest first, across both kinds
    only_plans = client.get(f"{V2}/reviews", params={"kind": "value_creation_plan"}).json()
    assert {item["kind"] for item in only_plans["items"]} == {"value_creation_plan"}
    assert {rejected["id"], approved["id"]} <= {item["id"] for item in only_plans["items"]}
    for item in queue["items"]:
        if item["id"] == rejected["id"]:
            assert item["review_reasons"] == rejected["review_reasons"]

    url = f"{V2}/reviews/{rejected['id']}/decision"
    # A reviewer decides, not an analyst or a viewer.
    for role in (Role.VIEWER, Role.ANALYST):
        assert_problem(client_as(role).post(url, json={"decision": "approve"}), 403)
    assert_problem(client.post(url, json={"decision": "reject"}), 422)  # a comment to reject
    assert_problem(client.post(url, json={"decision": "reject", "comment": "  "}), 422)
    assert stored_rows(migrated)[1] == 0
    reviewer = client_as(Role.REVIEWER)
    response = reviewer.post(url, json={"decision": "reject", "comment": "targets too far"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["review_status"], body["approved_at"]) == (
        "value_creation_plan", "rejected", None
    )  # fmt: skip
    assert body["review"]["comment"] == "targets too far"
    assert body["review"]["reviewer_role"] == "reviewer" and body["review"]["decided_at"]
    assert_problem(reviewer.post(url, json={"decision": "approve"}), 409)  # final

    approving = reviewer.post(
        f"{V2}/reviews/{approved['id']}/decision", json={"decision": "approve"}
    )
    assert approving.status_code == 200, approving.text
    decided = approving.json()
    assert decided["review_status"] == "approved" and decided["approved_at"] is not None
    assert decided["review"]["decision"] == "approve" and decided["review"]["comment"] is None
    assert client.get(f"{V2}/value-creation-plans/{approved['id']}").json() == decided
    assert stored_rows(migrated) == (2, 2)
    pending = client.get(f"{V2}/reviews", params={"page_size": 100}).json()["items"]
    assert {rejected["id"], approved["id"]}.isdisjoint(item["id"] for item in pending)
    assert_problem(reviewer.post(f"{V2}/reviews/{uuid.uuid4()}/decision",
                                 json={"decision": "approve"}), 404)  # fmt: skip


def test_a_plan_built_on_a_superseded_score_cannot_be_approved(client: TestClient) -> None:
    subject = approved_company(client)
    held = plan(client, subject["id"], 90).json()
    assert held["review_status"] == "pending_review"
    newer = score(client, submitted_assessment(client, subject["id"], 15)["id"]).json()
    assert newer["review_status"] == "pending_review"  # below the normal range
    approval = client.post(f"{V2}/reviews/{newer['id']}/decision", json={"decision": "approve"})
    assert approval.status_code == 200, approval.text
    response = client.post(f"{V2}/reviews/{held['id']}/decision", json={"decision": "approve"})
    body = assert_problem(response, 409)
    assert body["current_score_id"] == newer["id"]


def test_ebitda_preview_golden_values_and_it_stores_nothing(
    client: TestClient, migrated: Settings
) -> None:
    url = f"{V2}/scoring/ebitda-preview"
    # E 45, T 75, H^R 80: Δ 30, h 0.8; base 0.0025·900 + 0.05·30 + 0.025·30·0.8
    # = 2.25 + 1.5 + 0.6 = 4.35; times 0.7 = 3.045, times 1.4 = 6.09; H^R ≥ 50: no risk cut.
    low = client.post(url, json={"entry_score": 45, "target_score": 75, "h_r_score": 80})
    assert low.status_code == 200, low.text
    body = low.json()
    assert body["delta"] == 30
    for field, value in (("base", 4.35), ("conservative", 3.045), ("optimistic", 6.09),
                         ("risk_adjusted", 4.35)):  # fmt: skip
        assert body[field] == pytest.approx(value, abs=1e-12), field
    assert body["requires_review"] is False and body["review_threshold"] == THRESHOLD
    # E 30, T 90, H^R 40: Δ 60, h 0.4; base 9 + 3 + 0.6 = 12.6; risk factor
    # 1 - 0.01·(50 - 40) = 0.9, risk_adjusted 11.34 > 10: review.
    high = client.post(
        url, json={"entry_score": 30, "target_score": 90, "h_r_score": 40, "profile": "v1.0"}
    ).json()
    assert high["base"] == pytest.approx(12.6, abs=1e-12)
    assert high["risk_adjusted"] == pytest.approx(11.34, abs=1e-12)
    assert high["requires_review"] is True and high["parameters_version"] == "v1.0"
    assert high["value_creation_hash"] == profile_params(client, "v1.0").value_creation_hash
    assert stored_rows(migrated) == (0, 0)
    assert client.get(f"{V2}/reviews").json()["total"] == 0

    for payload, pointer in (
        ({"entry_score": 50, "target_score": 40, "h_r_score": 60}, "/body/target_score"),
        ({"entry_score": 50, "target_score": 101, "h_r_score": 60}, "/body/target_score"),
        ({"entry_score": -1, "target_score": 40, "h_r_score": 60}, "/body/entry_score"),
        ({"entry_score": 50, "target_score": 60}, "/body/h_r_score"),
        ({"entry_score": 50, "target_score": 60, "h_r_score": 60, "profile": "v9"},
         "/body/profile"),
    ):  # fmt: skip
        problem = assert_problem(client.post(url, json=payload), 422)
        assert pointer in {error["pointer"] for error in problem["errors"]}, problem


def test_bad_plan_requests_are_refused_naming_the_field_and_store_nothing(
    client: TestClient, migrated: Settings
) -> None:
    subject = approved_company(client)
    entry = subject["score"]["org_air"]
    url = f"{V2}/companies/{subject['id']}/value-creation-plans"

    def refused(response: Any, status: int, pointer: str) -> dict[str, Any]:
        problem = assert_problem(response, status)
        assert pointer in {error["pointer"] for error in problem["errors"]}, problem
        return problem

    below = refused(plan(client, subject["id"], entry - 1), 422, "/body/target_org_air")
    assert below["entry_org_air"] == entry and below["field"] == "target_org_air"
    for target in (101, -5, "high"):
        refused(plan(client, subject["id"], target), 422, "/body/target_org_air")  # type: ignore[arg-type]
    refused(client.post(url, json={}), 422, "/body/target_org_air")
    refused(client.post(url, json={"target_org_air": 80, "extra": 1}), 422, "/body/extra")
    refused(plan(client, subject["id"], 80, profile="v9.9"), 422, "/body/profile")
    # A profile under which Org-AI-R can fall as V^R rises: the planner refuses it.
    created = client.post(
        f"{V2}/parameters",
        json={"version": "synergy-heavy", "overrides": {"alpha": 0.05, "beta": 0.5}},
    )
    assert created.status_code == 201, created.text
    heavy = refused(plan(client, subject["id"], 80, profile="synergy-heavy"), 422, "/body/profile")
    assert heavy["field"] == "profile"

    # No approved score: never scored, or only a score still held for review.
    never = company(client, name="Never Scored")
    refused(plan(client, never["id"], 80), 409, "/path/company_id")
    held = company(client, name="Held")
    assert (
        score(client, submitted_assessment(client, held["id"], 10)["id"]).json()["review_status"]
        == "pending_review"
    )
    refused(plan(client, held["id"], 80), 409, "/path/company_id")
    assert_problem(plan(client, str(uuid.uuid4()), 80), 404)
    assert_problem(client.get(f"{V2}/value-creation-plans/{uuid.uuid4()}"), 404)
    assert_problem(client.get(f"{V2}/companies/{uuid.uuid4()}/value-creation-plans"), 404)
    assert stored_rows(migrated) == (0, 0)
    assert client.get(url).json()["total"] == 0


def test_viewers_read_plans_analysts_build_them(
    client: TestClient, client_as: Callable[[Role], TestClient]
) -> None:
    subject = approved_company(client)
    viewer, analyst = client_as(Role.VIEWER), client_as(Role.ANALYST)
    assert_problem(plan(viewer, subject["id"], 80), 403)
    preview = {"entry_score": 45, "target_score": 75, "h_r_score": 80}
    assert_problem(viewer.post(f"{V2}/scoring/ebitda-preview", json=preview), 403)
    built = plan(analyst, subject["id"], 80)
    assert built.status_code == 201, built.text
    assert built.json()["created_by"]
    assert viewer.get(f"{V2}/value-creation-plans/{built.json()['id']}").status_code == 200
    listed = viewer.get(f"{V2}/companies/{subject['id']}/value-creation-plans")
    assert listed.status_code == 200 and listed.json()["total"] == 1
    assert analyst.post(f"{V2}/scoring/ebitda-preview", json=preview).status_code == 200


def test_fund_summary_rolls_up_the_latest_approved_plan_of_each_member(
    client: TestClient,
) -> None:
    first = approved_company(client, name="First")
    second = approved_company(client, 30, name="Second")
    held = approved_company(client, name="Held Plan")
    bare = approved_company(client, name="No Plan")
    a = plan(client, first["id"], 80).json()
    plan(client, second["id"], 60)  # superseded below by the later approved plan
    b = plan(client, second["id"], 70).json()
    pending = plan(client, held["id"], 90).json()
    assert (a["review_status"], b["review_status"], pending["review_status"]) == (
        "auto_approved", "auto_approved", "pending_review"
    )  # fmt: skip
    members = [
        {"company_id": first["id"], "ev_usd": 300.0},
        {"company_id": second["id"]},  # no EV: weighs 100
        {"company_id": held["id"], "ev_usd": 50.0},  # its only plan waits: left out
        {"company_id": bare["id"], "ev_usd": 150.0},  # no plan: left out
    ]
    fund = client.post(f"{V2}/funds", json={"name": "Value Fund", "members": members})
    assert fund.status_code == 201, fund.text
    section = client.get(f"{V2}/funds/{fund.json()['id']}/summary").json()["value_creation"]

    # By hand: weights 300 (first) and 100 (second), total 400.
    assert section["members_with_plans"] == 2
    assert set(section["plan_ids"]) == {a["id"], b["id"]}
    risk = (300 * a["ebitda"]["risk_adjusted"] + 100 * b["ebitda"]["risk_adjusted"]) / 400
    base = (300 * a["ebitda"]["base"] + 100 * b["ebitda"]["base"]) / 400
    uplift = (
        300 * (a["projected_org_air"] - a["entry_org_air"])
        + 100 * (b["projected_org_air"] - b["entry_org_air"])
    ) / 400
    assert section["ebitda_risk_adjusted_pct"] == pytest.approx(risk, rel=1e-12)
    assert section["ebitda_base_pct"] == pytest.approx(base, rel=1e-12)
    assert section["org_air_uplift"] == pytest.approx(uplift, rel=1e-12)
    assert section["investment_usd"] == pytest.approx(
        a["investment_usd"] + b["investment_usd"], rel=1e-12
    )

    # The held plan, once approved, counts in; a fund without plans has an empty section.
    approve = client.post(f"{V2}/reviews/{pending['id']}/decision", json={"decision": "approve"})
    assert approve.status_code == 200, approve.text
    after = client.get(f"{V2}/funds/{fund.json()['id']}/summary").json()["value_creation"]
    assert after["members_with_plans"] == 3
    assert after["investment_usd"] == pytest.approx(
        a["investment_usd"] + b["investment_usd"] + pending["investment_usd"], rel=1e-12
    )
    empty = client.post(
        f"{V2}/funds", json={"name": "Empty", "members": [{"company_id": bare["id"]}]}
    ).json()
    assert client.get(f"{V2}/funds/{empty['id']}/summary").json()["value_creation"] == {
        "members_with_plans": 0,
        "ebitda_risk_adjusted_pct": None,
        "ebitda_base_pct": None,
        "org_air_uplift": None,
        "investment_usd": 0.0,
        "plan_ids": [],
    }
