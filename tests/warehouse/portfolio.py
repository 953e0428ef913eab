"""A small portfolio written through the real API (and, for the two tables the API does not
write, through the libraries that do): every exported table gets rows, including the
kinds of change the export must carry — a status change, a review decision, a closed
membership, a revoked key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy import select

from orgair_auth import ApiKeyRepository, Role
from orgair_config import Settings
from orgair_database import Database, utcnow
from orgair_domain.assessments.models import Assessment
from orgair_domain.evidence import repository as evidence_rows
from orgair_domain.evidence.models import Evidence
from orgair_domain.ic_memos.models import IcMemo
from orgair_domain.jobs.models import ScoringJobFailure
from orgair_domain.justifications.models import Justification, JustificationCitation
from orgair_llm import LedgerEntry, Outcome, SqlLedgerSink
from tests.api.helpers import V1
from tests.api_v2.helpers import MANUFACTURING, TECHNOLOGY, V2, company, score, submitted_assessment


@dataclass(frozen=True)
class Portfolio:
    companies: tuple[str, ...]
    fund_id: str
    reviewed_score_id: str
    job_id: str
    revoked_key_id: str


def scored(client: TestClient, industry: str, dimension_score: float, name: str) -> str:
    subject = company(client, industry_id=industry, name=name)
    response = score(client, submitted_assessment(client, subject["id"], dimension_score)["id"])
    assert response.status_code == 201, response.text
    company_id: str = subject["id"]
    return company_id


def build_portfolio(client: TestClient, settings: Settings) -> Portfolio:
    alpha = scored(client, MANUFACTURING, 70.0, "Alpha Industrial")
    beta = scored(client, TECHNOLOGY, 62.5, "Beta Software")
    gamma = company(client, name="Gamma Holdings", ticker="gam")["id"]
    # A jump past the review threshold and out of the normal range: a reviewer decides.
    jump = score(client, submitted_assessment(client, alpha, 97.0)["id"]).json()
    assert jump["review_status"] == "pending_review", jump
    decided = client.post(
        f"{V2}/reviews/{jump['id']}/decision",
        json={"decision": "reject", "comment": "evidence isn't there yet"},
    )
    assert decided.status_code == 200, decided.text
    members = [{"company_id": alpha, "ev_usd": 1_500_000.0}, {"company_id": beta}]
    fund = client.post(f"{V2}/funds", json={"name": "Growth Fund I", "members": members})
    assert fund.status_code == 201, fund.text
    fund_id: str = fund.json()["id"]
    changed = client.put(f"{V2}/funds/{fund_id}/members/{beta}", json={"ev_usd": 2_000_000.0})
    assert changed.status_code == 200, changed.text  # closes one interval, opens another
    # A value-creation plan held for review, then approved: a custom profile whose EBITDA
    # curve is steep enough that the plan's projection passes the review threshold.
    steep = {"version": "steep-ebitda", "overrides": {"value_creation": {"gamma_0": 0.05}}}
    created = client.post(f"{V2}/parameters", json=steep)
    assert created.status_code == 201, created.text
    plan = client.post(
        f"{V2}/companies/{beta}/value-creation-plans",
        json={"target_org_air": 90.0, "profile": "steep-ebitda"},
    )
    assert plan.status_code == 201, plan.text
    assert plan.json()["review_status"] == "pending_review", plan.json()
    approved = client.post(
        f"{V2}/reviews/{plan.json()['id']}/decision", json={"decision": "approve"}
    )
    assert approved.status_code == 200, approved.text
    job = client.post(f"{V2}/funds/{fund_id}/scoring-jobs", json={"profile": "v1.0"})
    assert job.status_code == 202, job.text
    job_id: str = job.json()["id"]
    database = Database.from_settings(settings)
    try:
        with database.session() as session:
            session.add(
                ScoringJobFailure(
                    job_id=uuid.UUID(job_id),
                    company_id=uuid.UUID(gamma),
                    code="not_scorable",
                    reason="no submitted assessment",
                )
            )
            keys = ApiKeyRepository(session, settings.SECRET_KEY.get_secret_value())
            keys.create(name="analyst laptop", role=Role.ANALYST)
            revoked = keys.create(name="old reviewer key", role=Role.REVIEWER).record.id
        with database.session() as session:
            ApiKeyRepository(session, settings.SECRET_KEY.get_secret_value()).revoke(revoked)
        # The LLM ledger, written as the LLM client writes it (one row per attempt).
        call = uuid.uuid4()
        attempts: tuple[tuple[int, Outcome], ...] = ((1, "rate_limited"), (2, "ok"))
        for attempt, outcome in attempts:
            SqlLedgerSink(database).record(
                LedgerEntry(
                    id=uuid.uuid4(), call_id=call, created_at=utcnow(), purpose="evidence_summary",
                    provider="openai", model="gpt-4o-2024-08-06", attempt=attempt,
                    outcome=outcome, fallback_used=False, input_tokens=1200,
                    output_tokens=300 if outcome == "ok" else 0,
                    cost_micros=4500 if outcome == "ok" else 0, reserved_micros=9000,
                    latency_ms=850, correlation_id="0" * 32,
                )
            )  # fmt: skip
        _evidence_and_what_cites_it(database, uuid.UUID(alpha), uuid.UUID(job_id), call)
    finally:
        database.dispose()
    renamed = client.put(f"{V1}/companies/{gamma}", json={"name": "Gamma Holdings plc"})
    assert renamed.status_code == 200, renamed.text
    return Portfolio(
        companies=(alpha, beta, gamma),
        fund_id=fund_id,
        reviewed_score_id=str(jump["id"]),
        job_id=job_id,
        revoked_key_id=str(revoked),
    )


def _evidence(company_id: uuid.UUID, title: str) -> Evidence:
    return Evidence(
        company_id=company_id, kind="note", title=title, source=None, url=None,
        evidence_date=utcnow().date(), media_type="text/plain", filename=None,
        size_bytes=24, sha256="0" * 64, object_key=None, text_chars=24, chunk_count=1,
        created_by="analyst",
    )  # fmt: skip


def _evidence_and_what_cites_it(
    database: Database, company_id: uuid.UUID, job_id: uuid.UUID, call: uuid.UUID
) -> None:
    """Two evidence items (one then deleted: a change the export must carry), a
    justification citing the kept one, and a memo."""
    with database.session() as session:
        kept, deleted = _evidence(company_id, "Data platform"), _evidence(company_id, "Old")
        evidence_rows.add(session, kept, ["data_infrastructure"], ["A lakehouse since 2023."])
        evidence_rows.add(session, deleted, ["ai_governance"], ["An AI policy draft."])
        session.commit()
        evidence_rows.remove(session, deleted.id)
        assessment_id = session.scalar(
            select(Assessment.id).where(Assessment.company_id == company_id)
        )
        justification = Justification(
            job_id=job_id, assessment_id=assessment_id, company_id=company_id,
            dimension="data_infrastructure", score=70.0, status="justified", failure_code=None,
            reason=None, text="A lakehouse [E1].", evidence_considered=1, provider="openai",
            model="gpt-4o-2024-08-06", llm_call_id=call, cost_micros=4500, created_by="analyst",
        )  # fmt: skip
        session.add(justification)
        session.flush()
        session.add(
            JustificationCitation(
                justification_id=justification.id, label="E1", evidence_id=kept.id, chunk=0,
                title=kept.title, source=None, url=None, evidence_date=kept.evidence_date,
                excerpt="A lakehouse since 2023.",
            )
        )  # fmt: skip
        session.add(
            IcMemo(
                job_id=job_id, company_id=company_id, score_id=None, object_key="memos/a.md",
                markdown_chars=100, sha256="1" * 64, provider="openai",
                model="gpt-4o-2024-08-06", llm_call_id=call, cost_micros=4500,
                created_by="analyst",
            )
        )  # fmt: skip
        session.commit()
