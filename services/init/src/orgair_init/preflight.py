"""Real checks of every dependency, each retried for a bounded time.

In compose the dependencies may still be starting when init runs, so each check
retries with back-off until `PREFLIGHT_TIMEOUT_SECONDS`; then it fails with one
line naming the dependency, where it was looked for (password masked) and why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from orgair_config import Settings
from orgair_database import build_engine, describe_url
from orgair_init.redaction import mask_url
from orgair_objectstore import ObjectStore
from orgair_observability.entry_points import describe_exception

MAX_BACKOFF_SECONDS = 4.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    target: str
    ok: bool
    attempts: int
    detail: str

    def line(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        return (
            f"{self.name} ({self.target}): {verdict} "
            f"after {self.attempts} attempt(s): {self.detail}"
        )


def retry_check(
    name: str,
    target: str,
    check: Callable[[], str],
    *,
    timeout: float,
    secrets: list[str],
    sleep: Callable[[float], None] = time.sleep,
) -> CheckResult:
    """Call `check` until it returns (its text is the success detail) or `timeout` runs out."""
    deadline = time.monotonic() + timeout
    delay = 0.25
    attempts = 0
    while True:
        attempts += 1
        try:
            return CheckResult(name, target, True, attempts, check())
        except Exception as exc:
            reason = describe_exception(exc, secrets)
            if time.monotonic() + delay > deadline:
                return CheckResult(name, target, False, attempts, reason)
        sleep(delay)
        delay = min(delay * 2, MAX_BACKOFF_SECONDS)


def _secrets(settings: Settings) -> list[str]:
    values = [
        settings.DATABASE_URL,
        settings.SNOWFLAKE_PASSWORD,
        settings.AWS_ACCESS_KEY_ID,
        settings.AWS_SECRET_ACCESS_KEY,
        settings.SECRET_KEY,
    ]
    return [
        v.get_secret_value() for v in values if v is not None and len(v.get_secret_value()) >= 4
    ]


def check_database(settings: Settings, *, timeout: float) -> CheckResult:
    url = settings.database_url
    target = describe_url(url)
    try:
        engine = build_engine(url)
    except Exception as exc:  # not transient (a driver option, a folder that cannot exist)
        return CheckResult(
            "database", target, False, 1, describe_exception(exc, _secrets(settings))
        )

    def ping() -> str:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return "SELECT 1 answered"

    try:
        return retry_check("database", target, ping, timeout=timeout, secrets=_secrets(settings))
    finally:
        engine.dispose()


def check_redis(settings: Settings, *, timeout: float) -> list[CheckResult]:
    # The cache and the Celery broker may be different servers: check each distinct one.
    urls = {"redis": settings.REDIS_URL, "broker": settings.CELERY_BROKER_URL}
    seen: set[tuple[str | None, int | None]] = set()
    results = []
    for name, url in urls.items():
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        server = (
            client.connection_pool.connection_kwargs.get("host"),
            client.connection_pool.connection_kwargs.get("port"),
        )
        if server in seen:
            client.close()
            continue
        seen.add(server)

        def ping(client: redis.Redis = client) -> str:
            client.ping()
            return "PING answered"

        try:
            results.append(
                retry_check(name, mask_url(url), ping, timeout=timeout, secrets=_secrets(settings))
            )
        finally:
            client.close()
    return results


def check_s3(settings: Settings, *, timeout: float) -> CheckResult:
    store = ObjectStore.from_settings(settings, retries=1)
    # Creating the bucket is a convenience for laptops and CI; production buckets are
    # provisioned (with their policies) by infrastructure code, never by the app.
    create = not settings.is_production

    def reach() -> str:
        created = store.check_bucket(create_if_missing=create)
        return (
            f"bucket {store.bucket!r} created" if created else f"bucket {store.bucket!r} reachable"
        )

    target = settings.S3_ENDPOINT_URL or "AWS S3"
    return retry_check("s3", target, reach, timeout=timeout, secrets=_secrets(settings))


def run_preflight(settings: Settings) -> list[CheckResult]:
    timeout = settings.PREFLIGHT_TIMEOUT_SECONDS
    return [
        check_database(settings, timeout=timeout),
        *check_redis(settings, timeout=timeout),
        check_s3(settings, timeout=timeout),
    ]
