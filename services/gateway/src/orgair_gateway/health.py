"""Probes: `/livez` (process), `/readyz` (can serve traffic), `/health` (CS1 shape).

Required for readiness: the key store (no key can be checked without it) and
scoring's own `/readyz` (nothing can be proxied without it). Redis is reported
but not required: the rate limiter fails open.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from orgair_gateway.runtime import GatewayResources

__all__ = ["check_dependencies", "router"]

CHECK_TIMEOUT_SECONDS = 2.0

router = APIRouter(tags=["health"])


def get_resources(request: Request) -> GatewayResources:
    resources: GatewayResources = request.app.state.runtime.resources
    return resources


ResourcesDep = Annotated[GatewayResources, Depends(get_resources)]


class ScoringNotReady(Exception):
    """Scoring answered its readiness probe with something other than 200."""


@dataclass(frozen=True)
class DependencyStatus:
    name: str
    healthy: bool
    required: bool
    latency_ms: float
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {
            "status": "healthy" if self.healthy else "unhealthy",
            "required": self.required,
            "latency_ms": round(self.latency_ms, 2),
        }
        if self.reason:
            body["reason"] = self.reason
        return body


async def _run(
    name: str, check: Callable[[], Awaitable[object]], *, required: bool
) -> DependencyStatus:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await check()
    except TimeoutError:
        reason = f"no answer within {CHECK_TIMEOUT_SECONDS:g}s"
    except ScoringNotReady as exc:
        reason = str(exc)
    except Exception as exc:
        # The type only: driver messages can quote URLs and credentials.
        reason = type(exc).__name__
    else:
        return DependencyStatus(name, True, required, (time.perf_counter() - started) * 1000)
    return DependencyStatus(name, False, required, (time.perf_counter() - started) * 1000, reason)


async def check_dependencies(resources: GatewayResources) -> list[DependencyStatus]:
    async def scoring_ready() -> None:
        status = await resources.proxy.probe("/readyz", within_seconds=CHECK_TIMEOUT_SECONDS)
        if status != 200:
            raise ScoringNotReady(f"scoring /readyz answered {status}")

    async def key_store() -> None:
        await to_thread.run_sync(resources.authenticator.check)

    return list(
        await asyncio.gather(
            _run("redis", resources.rate_limiter.ping, required=False),
            _run("key_store", key_store, required=True),
            _run("scoring", scoring_ready, required=True),
        )
    )


@router.get("/livez")
async def livez() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(resources: ResourcesDep) -> JSONResponse:
    statuses = await check_dependencies(resources)
    ready = all(s.healthy for s in statuses if s.required)
    return JSONResponse(
        {
            "status": "ready" if ready else "not_ready",
            "checks": {s.name: s.as_dict() for s in statuses},
        },
        status_code=200 if ready else 503,
    )


@router.get("/health")
async def health(resources: ResourcesDep) -> JSONResponse:
    statuses = await check_dependencies(resources)
    healthy = all(s.healthy for s in statuses)
    return JSONResponse(
        {
            "status": "healthy" if healthy else "degraded",
            "timestamp": datetime.now(UTC).isoformat(),
            "version": resources.settings.APP_VERSION,
            "dependencies": {
                s.name: "healthy" if s.healthy else f"unhealthy: {s.reason}" for s in statuses
            },
        },
        status_code=200 if healthy else 503,
    )
