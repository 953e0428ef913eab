"""Probes: `/livez` (process), `/readyz` (can serve traffic), `/health` (CS1 shape)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from orgair_scoring_api.dependencies import ResourcesDep
from orgair_scoring_api.health.service import check_dependencies

router = APIRouter(tags=["health"])


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
