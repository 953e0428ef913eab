"""Prometheus metrics shared by the services, exposed on each service's `/metrics`.

Every metric lives in the process-wide default registry and is defined once, here,
so that names and labels are the same in every service (`service` label tells them
apart) and a dashboard written for one replica works for all. Labels stay low in
cardinality: HTTP routes are the route *template* (`/api/v1/companies/{company_id}`),
never the raw path.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:  # the worker counts with these metrics and loads no web framework
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "CACHE_REQUESTS",
    "HTTP_REQUESTS",
    "HTTP_REQUEST_DURATION",
    "JOBS",
    "LLM_BUDGET_USD",
    "LLM_CALLS",
    "LLM_COST_USD",
    "LLM_SPEND_USD",
    "MCP_TOOL_CALLS",
    "MCP_TOOL_DURATION",
    "RATE_LIMIT_REJECTIONS",
    "REVIEWS_PENDING",
    "SCORES_COMPUTED",
    "UPSTREAM_ERRORS",
    "WAREHOUSE_EXPORTS",
    "WAREHOUSE_EXPORT_FAILURES",
    "WAREHOUSE_EXPORT_LAG",
    "WAREHOUSE_LAST_EXPORT",
    "WAREHOUSE_ROWS_EXPORTED",
    "WORKER_TASK_DURATION",
    "MetricsMiddleware",
    "metrics_response",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNMATCHED_ROUTE = "unmatched"

HTTP_REQUESTS = Counter(
    "orgair_http_requests_total",
    "HTTP requests served, by route template and status code.",
    ["service", "method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "orgair_http_request_duration_seconds",
    "Time from request start to the end of the response body.",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMIT_REJECTIONS = Counter(
    "orgair_rate_limit_rejections_total",
    "Requests refused with 429, by what was limited (api_key or client_address).",
    ["scope"],
)
UPSTREAM_ERRORS = Counter(
    "orgair_upstream_errors_total",
    "Proxied requests that failed upstream, by kind (unreachable, timeout, pool_exhausted).",
    ["kind"],
)
CACHE_REQUESTS = Counter(
    "orgair_cache_requests_total",
    "Cache-aside reads, by result (hit, miss).",
    ["result"],
)
SCORES_COMPUTED = Counter(
    "orgair_scores_computed_total",
    "Org-AI-R scores computed and stored, by path (api, job) and review status.",
    ["source", "review_status"],
)
REVIEWS_PENDING = Gauge(
    "orgair_reviews_pending",
    "Scores waiting for a reviewer's decision (read from the database at scrape time).",
)
JOBS = Gauge(
    "orgair_jobs",
    "Fund scoring jobs by state (read from the database at scrape time).",
    ["state"],
)
WORKER_TASK_DURATION = Histogram(
    "orgair_worker_task_duration_seconds",
    "Celery task run time, by task name and outcome.",
    ["task", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)

# The shared daily LLM budget (orgair_llm): the values Redis returned on the latest
# reservation, settlement or status read of any process of the service.
LLM_BUDGET_USD = Gauge(
    "orgair_llm_budget_usd",
    "The daily LLM cost budget (DAILY_COST_BUDGET_USD).",
    multiprocess_mode="mostrecent",
)
LLM_SPEND_USD = Gauge(
    "orgair_llm_spend_usd",
    "Today's (UTC) LLM spend across every process: settled (spent) and in flight (reserved).",
    ["state"],
    multiprocess_mode="mostrecent",
)
LLM_CALLS = Counter(
    "orgair_llm_calls_total",
    "LLM provider attempts, by provider, model and outcome (ok, rate_limited, timeout, ...).",
    ["provider", "model", "outcome"],
)
LLM_COST_USD = Counter(
    "orgair_llm_cost_usd_total",
    "Settled LLM cost in USD, by provider and model.",
    ["provider", "model"],
)
# The warehouse export (orgair_warehouse). Gauges keep the most recent value written by any
# worker process (prometheus_client's multiprocess mode), which is the last export's.
WAREHOUSE_ROWS_EXPORTED = Counter(
    "orgair_warehouse_rows_exported_total",
    "Rows merged into the warehouse, by table.",
    ["table"],
)
WAREHOUSE_EXPORT_LAG = Gauge(
    "orgair_warehouse_export_lag_seconds",
    "Age of the oldest change not yet in the warehouse when the last export of the table "
    "ended (0 = caught up; includes WAREHOUSE_EXPORT_SETTLE_SECONDS).",
    ["table"],
    multiprocess_mode="mostrecent",
)
WAREHOUSE_LAST_EXPORT = Gauge(
    "orgair_warehouse_last_export_timestamp_seconds",
    "When an export of the table last ended without error (Unix time).",
    ["table"],
    multiprocess_mode="mostrecent",
)
WAREHOUSE_EXPORT_FAILURES = Counter(
    "orgair_warehouse_export_failures_total",
    "Table exports that failed after every retry (the batch in flight was rolled back).",
    ["table"],
)
WAREHOUSE_EXPORTS = Counter(
    "orgair_warehouse_exports_total",
    "Periodic export runs, by outcome (complete, partial, failed, skipped).",
    ["outcome"],
)

# The gateway's MCP endpoint (/mcp): one series per tool, never per argument.
MCP_TOOL_CALLS = Counter(
    "mcp_tool_calls_total",
    "MCP tool calls, by tool and outcome (ok, error, forbidden, rate_limited, unavailable).",
    ["tool", "status"],
)
MCP_TOOL_DURATION = Histogram(
    "mcp_tool_duration_seconds",
    "Time to answer an MCP tool call, scoring's answer included, by tool.",
    ["tool"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def route_label(scope: Scope, proxied_prefixes: tuple[str, ...] = ()) -> str:
    """The matched route's template, including the prefixes of the routers it is in.

    Paths under `proxied_prefixes` (routed outside the framework, by the gateway's
    proxy) are labelled `<prefix>/{path}`: one series per API version, however many
    paths callers try, and also for requests refused before they were proxied.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str):
        path = str(scope.get("path", ""))
        for prefix in proxied_prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return f"{prefix}/{{path}}"
        return UNMATCHED_ROUTE
    # FastAPI keeps an included router's routes relative to its prefix; the prefix is
    # what remains of the request path once the route's own part is taken off.
    path = str(scope.get("path", ""))
    params = {key: str(value) for key, value in (scope.get("path_params") or {}).items()}
    try:
        concrete = template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
    if concrete and path.endswith(concrete):
        return path[: len(path) - len(concrete)] + template
    return template


class MetricsMiddleware:
    """Counts requests and times them, labelled by the route template (pure ASGI)."""

    def __init__(
        self, app: ASGIApp, *, service: str, proxied_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.service = service
        self.proxied_prefixes = tuple(prefix.rstrip("/") for prefix in proxied_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = route_label(scope, self.proxied_prefixes)
            method = scope.get("method", "GET")
            HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
            HTTP_REQUEST_DURATION.labels(self.service, method, route).observe(
                time.perf_counter() - started
            )


def metrics_response() -> Response:
    """The Prometheus text exposition of this process's metrics."""
    from starlette.responses import Response

    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def metrics_endpoint(_request: Request) -> Response:
    return metrics_response()
