"""Dependency checks behind `/readyz` and `/health`.

Only the database is required to serve traffic: Redis is a cache (down means
slower, not wrong) and S3 holds reports. Both are still reported so an operator
sees a degraded dependency before users do. So is the job queue (the Celery
broker): its depth (tasks waiting, tasks delivered and not yet acknowledged)
tells whether the workers keep up; when it is unreachable, new scoring jobs are
refused with 503 but everything else is served. And the LLM budget: today's spend,
what is reserved and left, and whether the alert threshold is reached (Redis down:
no LLM calls, said here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from orgair_llm import budget_readiness
from orgair_observability.probes import DependencyStatus, run_check
from orgair_scoring_api.dependencies import Resources


def _in_thread(check: Callable[[], object]) -> Callable[[], Awaitable[object]]:
    # The clients are synchronous; a hung dependency must not block the event loop.
    return lambda: asyncio.to_thread(check)


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

    def describe(exc: Exception) -> str:
        # The first line of the message helps operators; known secrets are masked in it.
        first_line = (str(exc).strip().splitlines() or [""])[0][:200]
        text = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    return list(
        await asyncio.gather(
            run_check(
                "database", _in_thread(resources.database.ping), required=True, describe=describe
            ),
            run_check("redis", _in_thread(resources.cache.ping), required=False, describe=describe),
            run_check(
                "s3",
                _in_thread(lambda: resources.objects.check_bucket(create_if_missing=False)),
                required=False,
                describe=describe,
            ),
            run_check(
                "job_queue",
                _in_thread(lambda: _queue_depth(resources)),
                required=False,
                describe=describe,
            ),
            run_check(
                "llm_budget",
                lambda: budget_readiness(resources.llm.budget),
                required=False,
                describe=describe,
            ),
        )
    )


def _queue_depth(resources: Resources) -> dict[str, object]:
    depth = resources.job_queue.depth()
    return {"queue_depth": depth.waiting, "in_flight": depth.in_flight}
