"""Funds: the list, a fund at a glance, and starting a rescoring job.

The fund page is `GET /funds/{id}/summary` as the API computes it (Fund-AI-R, counts,
leaders and laggards, sector shares and HHI, each member's within-sector quartile),
drawn and tabled; the API answers the members whole, so their table is sorted,
filtered and paged here. The fund's jobs page through the API. A rescoring job is
`POST /funds/{id}/scoring-jobs` with an Idempotency-Key minted with the form, so a
form sent twice starts one job.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from orgair_auth import Role
from orgair_gateway.dashboard.charts import (
    QUARTILES,
    QuartileRow,
    ebitda_scenarios,
    quartile_chart,
    scenario_chart,
    share_chart,
)
from orgair_gateway.dashboard.context import PREFIX, PageContext, parse_uuid, signed_in
from orgair_gateway.dashboard.labels import label
from orgair_gateway.dashboard.tables import (
    Choice,
    Column,
    Filter,
    TableSpec,
    TableView,
    field_value,
    page_locally,
    page_through_api,
)
from orgair_gateway.upstream_client import ScoringApi

__all__ = ["JOBS_TABLE", "router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
ContextDep = Annotated[PageContext, Depends(signed_in)]

FUNDS_TABLE = TableSpec(
    "f", "Funds",
    (Column("name", "Fund"), Column("member_count", "Companies", numeric=True),
     Column("created_at", "Created")),
    default_sort="created_at", default_descending=True,
    filters=(Filter("q", "Name contains"),),
)  # fmt: skip
UNSCORED = "unscored"
MEMBERS_TABLE = TableSpec(
    "m", "Members",
    (Column("company_name", "Company"), Column("sector", "Sector"),
     Column("ev_usd", "EV (USD)", numeric=True), Column("org_air", "Org-AI-R", numeric=True),
     Column("sector_quartile", "Quartile")),
    default_sort="company_name",
    filters=(
        Filter("q", "Company contains"),
        Filter("quartile", "Quartile",
               (*(Choice(q, q) for q in QUARTILES), Choice(UNSCORED, "Unscored"))),
    ),
)  # fmt: skip
RANKED_COLUMNS = (Column("company_name", "Company"), Column("org_air", "Org-AI-R", numeric=True))
LEADERS_TABLE = TableSpec(
    "l", "Leaders (Org-AI-R ≥ 70)", RANKED_COLUMNS, default_sort="org_air",
    default_descending=True, filters=(Filter("q", "Company contains"),), page_sizes=(10, 25, 100),
)  # fmt: skip
LAGGARDS_TABLE = TableSpec(
    "g", "Laggards (Org-AI-R < 50)", RANKED_COLUMNS, default_sort="org_air",
    filters=(Filter("q", "Company contains"),), page_sizes=(10, 25, 100),
)  # fmt: skip
SECTORS_TABLE = TableSpec(
    "s", "Sector shares of enterprise value",
    (Column("sector", "Sector"), Column("companies", "Companies", numeric=True),
     Column("ev_share", "EV share", numeric=True)),
    default_sort="ev_share", default_descending=True, page_sizes=(25, 100),
)  # fmt: skip
JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
JOBS_TABLE = TableSpec(
    "j", "Scoring jobs",
    (Column("created_at", "Started"), Column("state", "State"), Column("profile", "Profile"),
     Column("done", "Done", numeric=True), Column("failed", "Failed", numeric=True)),
    default_sort="created_at", default_descending=True,
    filters=(Filter("state", "State", tuple(Choice(s, label(s)) for s in JOB_STATES)),),
    page_sizes=(10, 25, 100),
)  # fmt: skip
_IDEMPOTENCY_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def name_contains(field: str) -> Any:
    def matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
        needle = filters.get("q")
        return not needle or needle.casefold() in str(row.get(field) or "").casefold()

    return matches


def _member_matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    if not name_contains("company_name")(row, filters):
        return False
    if "sector" in filters and str(row.get("sector")).strip().lower() != filters["sector"]:
        return False
    quartile = filters.get("quartile")
    if quartile == UNSCORED:
        return row.get("org_air") is None
    return not quartile or row.get("sector_quartile") == quartile


def _job_matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    return "state" not in filters or row.get("state") == filters["state"]


@router.get("/funds")
async def funds(ctx: ContextDep) -> Response:
    api, query = ctx.api, dict(ctx.request.query_params)

    async def fetch(page: int, size: int) -> Mapping[str, Any]:
        result: Mapping[str, Any] = await api.get(
            api.v2("funds"), {"page": page, "page_size": size}
        )
        return result

    table = await page_through_api(
        FUNDS_TABLE.read(query), query, fetch,
        native_sort="created_at", native_descending=True,
        sort_value=field_value, matches=name_contains("name"),
    )  # fmt: skip
    return ctx.page("funds.html", section="funds", table=table)


async def jobs_table(api: ScoringApi, fund_id: str, query: Mapping[str, str]) -> TableView:
    async def fetch(page: int, size: int) -> Mapping[str, Any]:
        result: Mapping[str, Any] = await api.get(
            api.v2("funds", fund_id, "scoring-jobs"), {"page": page, "page_size": size}
        )
        return result

    return await page_through_api(
        JOBS_TABLE.read(query), query, fetch,
        native_sort="created_at", native_descending=True,
        sort_value=field_value, matches=_job_matches,
    )  # fmt: skip


def quartile_rows(summary: Mapping[str, Any]) -> list[QuartileRow]:
    """Members counted by sector and quartile (the API's quartiles), sectors in the
    summary's order (largest EV share first)."""
    counts: dict[str, dict[str, int]] = {}
    unscored: dict[str, int] = {}
    for member in summary["members"]:
        sector = member["sector"].strip().lower()
        quartile = member.get("sector_quartile")
        if quartile is None:
            unscored[sector] = unscored.get(sector, 0) + 1
        else:
            per = counts.setdefault(sector, {})
            per[quartile] = per.get(quartile, 0) + 1
    ordered = [share["sector"] for share in summary["sectors"]]
    ordered += sorted((set(counts) | set(unscored)) - set(ordered))
    return [QuartileRow(s, counts.get(s, {}), unscored.get(s, 0)) for s in ordered]


@router.get("/funds/{fund_id}")
async def fund(fund_id: str, ctx: ContextDep) -> Response:
    fid = str(parse_uuid(ctx.request, fund_id, "fund"))
    api, query = ctx.api, dict(ctx.request.query_params)
    can_start = ctx.can(Role.ANALYST)
    summary, jobs, profiles = await asyncio.gather(
        api.get(api.v2("funds", fid, "summary")),
        jobs_table(api, fid, query),
        api.get(api.v2("parameters")) if can_start else asyncio.sleep(0, result=[]),
    )
    sectors = [share["sector"] for share in summary["sectors"]]
    members_spec = MEMBERS_TABLE.with_filters(
        (*MEMBERS_TABLE.filters, Filter("sector", "Sector",
                                        tuple(Choice(s, label(s)) for s in sectors)))
    )  # fmt: skip
    members = page_locally(
        members_spec.read(query), summary["members"], query,
        sort_value=_member_sort_value, matches=_member_matches,
    )  # fmt: skip
    leaders = page_locally(
        LEADERS_TABLE.read(query), summary["leaders"], query,
        sort_value=field_value, matches=name_contains("company_name"),
    )  # fmt: skip
    laggards = page_locally(
        LAGGARDS_TABLE.read(query), summary["laggards"], query,
        sort_value=field_value, matches=name_contains("company_name"),
    )  # fmt: skip
    sectors_table = page_locally(
        SECTORS_TABLE.read(query), summary["sectors"], query,
        sort_value=field_value, matches=lambda row, filters: True,
    )  # fmt: skip
    value_creation = summary.get("value_creation")
    scenarios = ebitda_scenarios(value_creation, "ebitda_{}_pct") if value_creation else None
    return ctx.page(
        "fund.html",
        section="funds",
        summary=summary,
        members=members,
        sectors=sectors_table,
        leaders=leaders,
        laggards=laggards,
        jobs=jobs,
        quartile_svg=quartile_chart(quartile_rows(summary)),
        share_svg=share_chart(
            [(s["sector"], s["ev_share"], s["companies"]) for s in summary["sectors"]]
        ),
        value_creation=value_creation,
        value_creation_svg=scenario_chart(scenarios, "fund-ebitda") if scenarios else None,
        can_start=can_start,
        profiles=profiles,
        idempotency_token=secrets.token_urlsafe(24),
    )


_QUARTILE_ORDER = {q: index for index, q in enumerate(QUARTILES)}


def _member_sort_value(row: Mapping[str, Any], key: str) -> Any:
    if key == "sector_quartile":
        quartile = row.get("sector_quartile")
        return None if quartile is None else _QUARTILE_ORDER.get(quartile)
    return field_value(row, key)


@router.post("/funds/{fund_id}/scoring-jobs")
async def start_job(fund_id: str, ctx: ContextDep) -> Response:
    fid = str(parse_uuid(ctx.request, fund_id, "fund"))
    fields = await ctx.form()
    ctx.require(Role.ANALYST)
    token = fields.get("idempotency_token") or ""
    if not _IDEMPOTENCY_TOKEN.fullmatch(token):
        token = secrets.token_urlsafe(24)
    profile = (fields.get("profile") or "").strip()
    answer = await ctx.api.request(
        "POST", ctx.api.v2("funds", fid, "scoring-jobs"),
        json={"profile": profile} if profile else {},
        headers=[("Idempotency-Key", f"dashboard-{token}")],
    )  # fmt: skip
    if answer.status == 202:
        job = answer.json()
        replayed = answer.headers.get("idempotent-replayed") == "true"
        await ctx.notify(
            "success",
            f"{'This form already started' if replayed else 'Started'} a scoring job for "
            f"{job['total']:,} companies with profile {job['profile']}.",
        )
        return ctx.redirect(f"{PREFIX}/jobs/{job['id']}")
    problem = answer.problem()
    await ctx.notify("error", f"The job was not started: {problem.message}")
    running = problem.extensions.get("job_id")
    if answer.status == 409 and isinstance(running, str):
        return ctx.redirect(f"{PREFIX}/jobs/{parse_uuid(ctx.request, running, 'job')}")
    return ctx.redirect(f"{PREFIX}/funds/{fid}")
