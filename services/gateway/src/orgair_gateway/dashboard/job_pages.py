"""A fund scoring job: its page, its live progress, its report files.

- The page is `GET /jobs/{id}`; while the job is queued or running it carries the
  address of the job's event stream, and `job-progress.js` moves a `<progress>` bar
  as `progress` events arrive, until `completed`.
- The stream is `/dashboard/jobs/{id}/events`: the browser's EventSource sends the
  session cookie (it cannot send an API key), and the gateway relays scoring's
  `GET /jobs/{id}/events` as the session's key, chunk by chunk as it arrives,
  `Last-Event-ID` included, so a reconnecting browser resumes where it left off.
- The downloads ask the API for the report's presigned URL and pass the file on
  from S3 (the browser may not reach the object store; the gateway is the only
  public port).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

import aiohttp
from fastapi import APIRouter, Depends
from fastapi.responses import Response, StreamingResponse
from yarl import URL

from orgair_gateway.dashboard.context import (
    PREFIX,
    PageContext,
    error_response,
    parse_uuid,
    signed_in,
    signed_in_stream,
)
from orgair_gateway.dashboard.lookups import company_names
from orgair_gateway.dashboard.tables import Column, Filter, TableSpec, page_locally
from orgair_gateway.upstream_client import UpstreamUnavailable
from orgair_observability import get_logger

__all__ = ["router"]

log = get_logger(__name__)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
ContextDep = Annotated[PageContext, Depends(signed_in)]
StreamContextDep = Annotated[PageContext, Depends(signed_in_stream)]

ACTIVE_STATES = frozenset({"queued", "running"})
REPORT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
FAILURES_TABLE = TableSpec(
    "e", "Companies that could not be scored",
    (Column("company_id", "Company"), Column("code", "Code"), Column("reason", "Reason")),
    default_sort="code", filters=(Filter("q", "Reason contains"),), page_sizes=(25, 100),
)  # fmt: skip


def _failure_matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    needle = filters.get("q")
    return not needle or needle.casefold() in str(row.get("reason") or "").casefold()


def _failure_value(row: Mapping[str, Any], key: str) -> Any:
    value = row.get(key)
    return value.casefold() if isinstance(value, str) else value


@router.get("/jobs/{job_id}")
async def job_page(job_id: str, ctx: ContextDep) -> Response:
    jid = str(parse_uuid(ctx.request, job_id, "job"))
    api, query = ctx.api, dict(ctx.request.query_params)
    job = await api.get(api.v2("jobs", jid))
    fund = await api.get_if_present(api.v2("funds", job["fund_id"]))
    failures = page_locally(
        FAILURES_TABLE.read(query), job.get("errors") or [], query,
        sort_value=_failure_value, matches=_failure_matches,
    )  # fmt: skip
    names = await company_names(api, [row["company_id"] for row in failures.rows])
    total = job["total"]
    live = job["state"] in ACTIVE_STATES
    # An empty fund's finished job is complete; otherwise the share of companies done.
    percent = round(100 * job["done"] / total) if total else (0 if live else 100)
    return ctx.page(
        "job.html",
        section="funds",
        job=job,
        fund=fund,
        failures=failures,
        names=names,
        live=live,
        percent=percent,
    )


@router.get("/jobs/{job_id}/events")
async def job_events(job_id: str, ctx: StreamContextDep) -> Response:
    jid = str(parse_uuid(ctx.request, job_id, "job"))
    last_event_id = ctx.request.headers.get("last-event-id")
    headers = [("Last-Event-ID", last_event_id)] if last_event_id else []
    stack = contextlib.AsyncExitStack()
    try:
        upstream = await stack.enter_async_context(
            ctx.api.open(
                "GET", ctx.api.v2("jobs", jid, "events"), headers=headers,
                accept="text/event-stream",
            )
        )  # fmt: skip
    except UpstreamUnavailable as exc:
        await stack.aclose()
        return error_response(ctx.request, exc.status, "Bad Gateway", exc.detail, ctx=ctx)
    if upstream.status != 200:
        body = await upstream.read()
        await stack.aclose()
        return Response(
            body,
            status_code=upstream.status,
            media_type=upstream.headers.get("content-type", "application/problem+json"),
        )

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, TimeoutError, UpstreamUnavailable) as exc:
            # The browser reconnects with Last-Event-ID and resumes.
            log.info("dashboard_event_stream_cut", error_type=type(exc).__name__)
        finally:
            await stack.aclose()

    return StreamingResponse(
        relay(),
        media_type="text/event-stream",
        headers={**SSE_HEADERS, **dict(ctx.rate_headers)},
    )


@router.get("/jobs/{job_id}/report.{file_format}")
async def job_report(job_id: str, file_format: str, ctx: StreamContextDep) -> Response:
    jid = str(parse_uuid(ctx.request, job_id, "job"))
    if file_format not in REPORT_TYPES:
        return error_response(
            ctx.request, 404, "Not Found", "Reports come as .json or .csv.", ctx=ctx
        )
    link = await ctx.api.get(ctx.api.v2("jobs", jid, "report"), {"format": file_format})
    session = ctx.resources.proxy.session
    stack = contextlib.AsyncExitStack()
    try:
        report = await stack.enter_async_context(
            session.get(
                URL(link["url"], encoded=True),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=30),
            )
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        await stack.aclose()
        log.warning("dashboard_report_unavailable", error_type=type(exc).__name__)
        return error_response(
            ctx.request, 502, "Bad Gateway", "The report could not be read from storage.", ctx=ctx
        )
    if report.status != 200:
        await stack.aclose()
        log.warning("dashboard_report_unavailable", status=report.status)
        return error_response(
            ctx.request, 502, "Bad Gateway", "The report could not be read from storage.", ctx=ctx
        )

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in report.content.iter_chunked(64 * 1024):
                yield chunk
        except (aiohttp.ClientError, TimeoutError, asyncio.CancelledError) as exc:
            log.warning("dashboard_report_cut", error_type=type(exc).__name__)
            raise
        finally:
            await stack.aclose()

    filename = f"fund-job-{jid}.{file_format}"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
        **dict(ctx.rate_headers),
    }
    length = report.headers.get("content-length")
    if length and length.isdigit():
        headers["Content-Length"] = length
    return StreamingResponse(relay(), media_type=REPORT_TYPES[file_format], headers=headers)
