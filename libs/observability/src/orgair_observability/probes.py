"""The three probes every HTTP service serves, built the same way everywhere.

`/livez` answers while the process runs; `/readyz` is 503 when a *required*
dependency fails (orchestrators stop routing to the replica); `/health` is the CS1
shape and 503 when any dependency is degraded. Each service only says which
dependencies it has and which of them it needs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

__all__ = ["CHECK_TIMEOUT_SECONDS", "DependencyStatus", "probe_router", "run_check"]

CHECK_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class DependencyStatus:
    name: str
    healthy: bool
    required: bool
    latency_ms: float
    reason: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {
            "status": "healthy" if self.healthy else "unhealthy",
            "required": self.required,
            "latency_ms": round(self.latency_ms, 2),
        }
        if self.reason:
            body["reason"] = self.reason
        body.update(self.details)
        return body


def _type_only(exc: Exception) -> str:
    # The type only by default: driver messages can quote URLs and credentials.
    return type(exc).__name__


async def run_check(
    name: str,
    check: Callable[[], Awaitable[object]],
    *,
    required: bool,
    describe: Callable[[Exception], str] = _type_only,
) -> DependencyStatus:
    """Run one check within CHECK_TIMEOUT_SECONDS; a mapping it returns is reported as
    details."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            answer = await check()
    except TimeoutError:
        reason = f"no answer within {CHECK_TIMEOUT_SECONDS:g}s"
    except Exception as exc:
        reason = describe(exc)
    else:
        details = answer if isinstance(answer, Mapping) else {}
        elapsed = (time.perf_counter() - started) * 1000
        return DependencyStatus(name, True, required, elapsed, details=details)
    return DependencyStatus(name, False, required, (time.perf_counter() - started) * 1000, reason)


class Liveness(BaseModel):
    status: Literal["alive"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, dict[str, Any]] = Field(description="Per dependency: status and reason")


class Health(BaseModel):
    """The CS1 health shape."""

    status: Literal["healthy", "degraded"]
    timestamp: datetime
    version: str
    dependencies: dict[str, str] = Field(description='"healthy" or "unhealthy: <reason>"')


def probe_router(
    check_dependencies: Callable[[Request], Awaitable[list[DependencyStatus]]],
    version: Callable[[Request], str],
) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/livez", response_model=Liveness)
    async def livez() -> dict[str, str]:
        return {"status": "alive"}

    @router.get(
        "/readyz",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "A required dependency is down"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        statuses = await check_dependencies(request)
        ready = all(s.healthy for s in statuses if s.required)
        return JSONResponse(
            {
                "status": "ready" if ready else "not_ready",
                "checks": {s.name: s.as_dict() for s in statuses},
            },
            status_code=200 if ready else 503,
        )

    @router.get(
        "/health",
        response_model=Health,
        responses={503: {"model": Health, "description": "A dependency is degraded"}},
    )
    async def health(request: Request) -> JSONResponse:
        statuses = await check_dependencies(request)
        healthy = all(s.healthy for s in statuses)
        return JSONResponse(
            {
                "status": "healthy" if healthy else "degraded",
                "timestamp": datetime.now(UTC).isoformat(),
                "version": version(request),
                "dependencies": {
                    s.name: "healthy" if s.healthy else f"unhealthy: {s.reason}" for s in statuses
                },
            },
            status_code=200 if healthy else 503,
        )

    return router
