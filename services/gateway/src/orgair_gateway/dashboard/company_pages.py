"""A company: its seven dimensions, its score history, what is approved and what waits.

From `GET /api/v1/companies/{id}`, its industry, and `GET /api/v2/companies/{id}/scores`
(history newest first, the current approved score, the trend). The dimension chart
shows the current approved score's inputs beside the newest pending one's; the
history chart every computed score with its 95 % interval as a band.

Value-creation plans, justifications and evidence are tables of their own
(company_sections.py), each left out when this scoring has no such endpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from orgair_gateway.dashboard.charts import (
    HistoryPoint,
    dimension_chart,
    ebitda_scenarios,
    history_chart,
    scenario_chart,
)
from orgair_gateway.dashboard.company_sections import (
    evidence_table,
    justifications_table,
    plans_table,
)
from orgair_gateway.dashboard.context import PREFIX, PageContext, parse_uuid, signed_in
from orgair_gateway.dashboard.labels import label
from orgair_gateway.dashboard.tables import (
    Choice,
    Column,
    Filter,
    TableSpec,
    field_value,
    page_locally,
)

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
ContextDep = Annotated[PageContext, Depends(signed_in)]

PENDING = "pending_review"
REVIEW_STATUSES = ("auto_approved", "approved", PENDING, "rejected")
HISTORY_TABLE = TableSpec(
    "h", "Score history",
    (Column("created_at", "Computed"), Column("org_air", "Org-AI-R", numeric=True),
     Column("org_air_ci", "95 % interval", sortable=False), Column("vr", "V^R", numeric=True),
     Column("hr", "H^R", numeric=True), Column("synergy", "Synergy", numeric=True),
     Column("parameters_version", "Profile"), Column("review_status", "Review")),
    default_sort="created_at", default_descending=True,
    filters=(Filter("status", "Review", tuple(Choice(s, label(s)) for s in REVIEW_STATUSES)),),
    page_sizes=(10, 25, 100),
)  # fmt: skip


def _history_matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    return "status" not in filters or row.get("review_status") == filters["status"]


def _dimensions(score: Mapping[str, Any] | None) -> dict[str, float]:
    """A score's seven dimension scores, from the inputs it was computed from."""
    if not score:
        return {}
    dimensions = (score.get("inputs") or {}).get("dimensions") or {}
    return {str(k): float(v) for k, v in dimensions.items() if isinstance(v, int | float)}


def _points(history: list[Mapping[str, Any]]) -> list[HistoryPoint]:
    points = []
    for score in history:
        low, high = score["org_air_ci"]
        points.append(
            HistoryPoint(
                at=datetime.fromisoformat(score["created_at"]),
                org_air=float(score["org_air"]),
                low=float(low),
                high=float(high),
                status=str(score["review_status"]),
            )
        )
    return points


@router.get("/companies/{company_id}")
async def company(company_id: str, ctx: ContextDep) -> Response:
    cid = str(parse_uuid(ctx.request, company_id, "company"))
    api, query = ctx.api, dict(ctx.request.query_params)
    found, scores, plans = await asyncio.gather(
        api.get(api.v1("companies", cid)),
        api.get(api.v2("companies", cid, "scores")),
        plans_table(api, cid, query),
    )
    history: list[Mapping[str, Any]] = scores["history"]
    current = scores.get("current")
    pending = next((s for s in history if s["review_status"] == PENDING), None)
    approved_dims, pending_dims = _dimensions(current), _dimensions(pending)
    names = list(dict.fromkeys([*approved_dims, *pending_dims]))
    industry, justifications, evidence = await asyncio.gather(
        api.get_if_present(api.v1("industries", found["industry_id"])),
        justifications_table(api, current["assessment_id"] if current else None, query),
        evidence_table(api, cid, names, query),
    )
    if approved_dims:
        dimension_svg = dimension_chart(
            [(n, approved_dims.get(n), pending_dims.get(n)) for n in names]
        )
    elif pending_dims:
        dimension_svg = dimension_chart(
            [(n, pending_dims.get(n), None) for n in names], first="pending review"
        )
    else:
        dimension_svg = None
    # The scenarios of the first plan shown (the newest, unless sorted otherwise).
    scenarios = ebitda_scenarios(plans.rows[0]["ebitda"]) if plans and plans.rows else None
    return ctx.page(
        "company.html",
        section="funds",
        company=found,
        industry=industry,
        scores=scores,
        current=current,
        pending=pending,
        dimension_svg=dimension_svg,
        history_svg=history_chart(_points(history)) if history else None,
        history=page_locally(
            HISTORY_TABLE.read(query),
            history,
            query,
            sort_value=field_value,
            matches=_history_matches,
        ),
        plans=plans,
        plan_svg=scenario_chart(scenarios, "plan-ebitda") if scenarios else None,
        evidence=evidence,
        justifications=justifications,
    )
