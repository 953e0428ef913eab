"""Probes: `/livez` (process), `/readyz` (can serve traffic), `/health` (CS1 shape)."""

from __future__ import annotations

from fastapi import Request

from orgair_observability.probes import DependencyStatus, probe_router
from orgair_scoring_api.dependencies import Resources
from orgair_scoring_api.health_checks import check_dependencies


def _resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def _check(request: Request) -> list[DependencyStatus]:
    return await check_dependencies(_resources(request))


router = probe_router(_check, lambda request: _resources(request).settings.APP_VERSION)
