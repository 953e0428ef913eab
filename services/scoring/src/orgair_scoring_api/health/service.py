"""Dependency checks behind `/readyz` and `/health`.

Only the database is required to serve traffic: Redis is a cache (down means
slower, not wrong) and S3 holds reports. Both are still reported so an operator
sees a degraded dependency before users do. So is the job queue (the Celery
broker): its depth (tasks waiting, tasks delivered and not yet acknowledged)
tells whether the workers keep up; when it is unreachable, new scoring jobs are
refused with 503 but everything else is served.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from orgair_scoring_api.dependencies import Resources

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


async def _run(
    name: str, check: Callable[[], object], *, required: bool, redact: Callable[[str], str]
) -> DependencyStatus:
    started = time.perf_counter()
    try:
        answer = await asyncio.wait_for(asyncio.to_thread(check), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        reason = f"no answer within {CHECK_TIMEOUT_SECONDS:g}s"
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [""])[0][:200]
        reason = redact(f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__)
    else:
        details = answer if isinstance(answer, Mapping) else {}
        elapsed = (time.perf_counter() - started) * 1000
        return DependencyStatus(name, True, required, elapsed, details=details)
    return DependencyStatus(name, False, required, (time.perf_counter() - started) * 1000, reason)


async def check_dependencies(resources: Resources) -> list[DependencyStatus]:
    secrets = [
        value.get_secret_value()
        for value in (
            resources.settings.DATABASE_URL,
            resources.settings.SNOWFLAKE_PASSWORD,
            resources.settings.AWS_SECRET_ACCESS_KEY,
            resources.settings.AWS_ACCESS_KEY_ID,
        )
        if value is not None and len(value.get_secret_value()) >= 4
    ]

    def redact(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    return list(
        await asyncio.gather(
            _run("database", resources.database.ping, required=True, redact=redact),
            _run("redis", resources.cache.ping, required=False, redact=redact),
            _run(
                "s3",
                lambda: resources.objects.check_bucket(create_if_missing=False),
                required=False,
                redact=redact,
            ),
            _run("job_queue", lambda: _queue_depth(resources), required=False, redact=redact),
        )
    )


def _queue_depth(resources: Resources) -> dict[str, object]:
    depth = resources.job_queue.depth()
    return {"queue_depth": depth.waiting, "in_flight": depth.in_flight}
