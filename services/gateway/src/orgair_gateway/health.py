"""Probes: `/livez` (process), `/readyz` (can serve traffic), `/health` (CS1 shape).

Required for readiness: the key store (no key can be checked without it) and
scoring's own `/readyz` (nothing can be proxied without it). Redis is reported
but not required: the rate limiter fails open.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Request

from orgair_gateway.runtime import GatewayResources
from orgair_observability.probes import (
    CHECK_TIMEOUT_SECONDS,
    DependencyStatus,
    probe_router,
    run_check,
)

__all__ = ["check_dependencies", "router"]


def get_resources(request: Request) -> GatewayResources:
    resources: GatewayResources = request.app.state.runtime.resources
    return resources


ResourcesDep = Annotated[GatewayResources, Depends(get_resources)]


class ScoringNotReady(Exception):
    """Scoring answered its readiness probe with something other than 200."""


def _describe(exc: Exception) -> str:
    # Scoring's own answer is safe to show; anything else by its type only (driver
    # messages can quote URLs and credentials).
    return str(exc) if isinstance(exc, ScoringNotReady) else type(exc).__name__


async def check_dependencies(resources: GatewayResources) -> list[DependencyStatus]:
    async def scoring_ready() -> None:
        status = await resources.proxy.probe("/readyz", within_seconds=CHECK_TIMEOUT_SECONDS)
        if status != 200:
            raise ScoringNotReady(f"scoring /readyz answered {status}")

    async def key_store() -> None:
        await to_thread.run_sync(resources.authenticator.check)

    return list(
        await asyncio.gather(
            run_check("redis", resources.rate_limiter.ping, required=False, describe=_describe),
            run_check("key_store", key_store, required=True, describe=_describe),
            run_check("scoring", scoring_ready, required=True, describe=_describe),
        )
    )


router = probe_router(
    lambda request: check_dependencies(get_resources(request)),
    lambda request: get_resources(request).settings.APP_VERSION,
)
