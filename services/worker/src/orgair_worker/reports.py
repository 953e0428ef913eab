"""The job report: `reports/funds/{fund_id}/{job_id}.json` and `.csv` in S3.

JSON: the job, the fund summary (Fund-AI-R over the members' current approved
scores once the job's scores were gated), one entry per scored company (inputs,
every score component, confidence intervals, review status) and one per failure.
CSV: one row per company of the job, scored or failed, with the same numbers
flattened (inputs prefixed `input_`, intervals as `<score>_ci_lower/_upper`).
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import orjson
from sqlalchemy import String, or_, select, type_coerce
from sqlalchemy.orm import Session

from orgair_domain.companies.models import Company
from orgair_domain.funds.models import Fund, FundMembership
from orgair_domain.funds.service import summary_of
from orgair_domain.funds.summary import sector_quartile
from orgair_domain.industries.models import Industry
from orgair_domain.jobs.models import ScoringJob, ScoringJobFailure
from orgair_domain.scores.models import OrgAirScore
from orgair_scoring import DIMENSIONS
from orgair_scoring.batch import INTERVAL_FIELDS, SCORE_FIELDS

REPORT_PREFIX = "reports/funds"
INPUT_FIELDS = (
    "talent_concentration",
    "market_cap_percentile",
    "h_r_base",
    "alignment",
    "timing_factor",
    "evidence_count",
)
CSV_COLUMNS = (
    "company_id", "company_name", "ticker", "sector", "ev_usd", "status",
    "failure_code", "failure_reason", "assessment_id", "score_id",
    *(f"input_{name}" for name in DIMENSIONS),
    *(f"input_{name}" for name in INPUT_FIELDS),
    *SCORE_FIELDS,
    *(f"{name}_ci_{bound}" for name in INTERVAL_FIELDS for bound in ("lower", "upper")),
    "sector_quartile", "review_status", "review_reasons", "parameters_version",
    "parameters_hash",
)  # fmt: skip


def report_keys(fund_id: uuid.UUID, job_id: uuid.UUID) -> tuple[str, str]:
    base = f"{REPORT_PREFIX}/{fund_id}/{job_id}"
    return f"{base}.json", f"{base}.csv"


def _enterprise_values(session: Session, job: ScoringJob) -> dict[uuid.UUID, float | None]:
    """Each member's EV as of the job's creation (the snapshot the job scored)."""
    rows = session.execute(
        select(FundMembership.company_id, FundMembership.ev_usd).where(
            FundMembership.fund_id == job.fund_id,
            FundMembership.added_at <= job.created_at,
            or_(FundMembership.removed_at.is_(None), FundMembership.removed_at > job.created_at),
        )
    )
    return {company_id: ev_usd for company_id, ev_usd in rows.tuples()}


def build_report(session: Session, job: ScoringJob, fund: Fund) -> tuple[bytes, bytes]:
    """(JSON bytes, CSV bytes) of the job's report."""
    ev = {str(company_id): value for company_id, value in _enterprise_values(session, job).items()}
    # Ids as their stored text: they go into the report as text anyway.
    scored = session.execute(
        select(
            type_coerce(OrgAirScore.company_id, String),
            type_coerce(OrgAirScore.assessment_id, String),
            type_coerce(OrgAirScore.id, String),
            OrgAirScore.inputs,
            OrgAirScore.result,
            OrgAirScore.org_air,
            OrgAirScore.review_status,
            OrgAirScore.review_reasons,
            OrgAirScore.parameters_version,
            OrgAirScore.parameters_hash,
            Company.name,
            Company.ticker,
            Industry.sector,
        )
        .join(Company, Company.id == OrgAirScore.company_id)
        .join(Industry, Industry.id == Company.industry_id)
        .where(OrgAirScore.job_id == job.id)
    ).tuples()
    failed = session.execute(
        select(
            type_coerce(ScoringJobFailure.company_id, String),
            type_coerce(ScoringJobFailure.assessment_id, String),
            ScoringJobFailure.code,
            ScoringJobFailure.reason,
            Company.name,
            Company.ticker,
            Industry.sector,
        )
        .join(Company, Company.id == ScoringJobFailure.company_id)
        .join(Industry, Industry.id == Company.industry_id)
        .where(ScoringJobFailure.job_id == job.id)
    ).tuples()

    companies: list[dict[str, Any]] = []
    for (company_id, assessment_id, score_id, inputs, result_json, org_air, review_status,
         reasons, version, digest, name, ticker, sector) in scored:  # fmt: skip
        result = orjson.loads(result_json)
        companies.append(
            {
                "company_id": company_id,
                "company_name": name,
                "ticker": ticker,
                "sector": sector,
                "ev_usd": ev.get(company_id),
                "assessment_id": assessment_id,
                "score_id": score_id,
                "inputs": orjson.loads(inputs),
                "scores": {field: result[field] for field in SCORE_FIELDS},
                "ci": result["ci"],
                "sector_quartile": sector_quartile(sector, org_air),
                "review_status": review_status,
                "review_reasons": orjson.loads(reasons),
                "parameters_version": version,
                "parameters_hash": digest,
            }
        )
    companies.sort(key=lambda entry: (entry["company_name"], entry["company_id"]))
    failures = sorted(
        (
            {
                "company_id": company_id,
                "company_name": name,
                "ticker": ticker,
                "sector": sector,
                "ev_usd": ev.get(company_id),
                "assessment_id": assessment_id,
                "code": code,
                "reason": reason,
            }
            for company_id, assessment_id, code, reason, name, ticker, sector in failed
        ),
        key=lambda entry: (entry["company_name"], entry["company_id"]),
    )
    document = {
        "job": {
            "id": str(job.id),
            "fund_id": str(job.fund_id),
            "profile": job.parameters_version,
            "parameters_hash": job.parameters_hash,
            "total": job.total,
            "scored": job.scored,
            "failed": job.failed,
            "created_by": job.created_by,
            "created_at": job.created_at.isoformat(),
            "started_at": job.started_at.isoformat() if job.started_at else None,
        },
        "fund": {"id": str(fund.id), "name": fund.name},
        "summary": summary_of(session, fund).model_dump(mode="json"),
        "companies": companies,
        "failures": failures,
    }
    return orjson.dumps(document), _csv(companies, failures)


def _csv(companies: list[dict[str, Any]], failures: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in companies:
        inputs = entry["inputs"]
        writer.writerow(
            [
                entry["company_id"], entry["company_name"], entry["ticker"], entry["sector"],
                entry["ev_usd"], "scored", "", "", entry["assessment_id"], entry["score_id"],
                *(inputs["dimensions"][name] for name in DIMENSIONS),
                *(inputs.get(name) for name in INPUT_FIELDS),
                *(entry["scores"][name] for name in SCORE_FIELDS),
                *(entry["ci"][name][side] for name in INTERVAL_FIELDS for side in (0, 1)),
                entry["sector_quartile"], entry["review_status"],
                "; ".join(entry["review_reasons"]), entry["parameters_version"],
                entry["parameters_hash"],
            ]
        )  # fmt: skip
    blank_scores = [""] * (
        len(DIMENSIONS) + len(INPUT_FIELDS) + len(SCORE_FIELDS) + 2 * len(INTERVAL_FIELDS) + 5
    )
    for failure in failures:
        writer.writerow(
            [
                failure["company_id"], failure["company_name"], failure["ticker"],
                failure["sector"], failure["ev_usd"], "failed", failure["code"],
                failure["reason"], failure["assessment_id"] or "", "", *blank_scores,
            ]
        )  # fmt: skip
    return buffer.getvalue().encode()
