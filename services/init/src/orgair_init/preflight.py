"""Real checks of every dependency, each retried for a bounded time.

In compose the dependencies may still be starting when init runs, so each check is
retried (tenacity: exponential back-off with jitter, for any exception) until
`PREFLIGHT_TIMEOUT_SECONDS`; then it fails with one line naming the dependency,
where it was looked for (password masked) and why (registered secrets scrubbed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import redis
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_before_delay,
    wait_exponential_jitter,
)

from orgair_config import Settings
from orgair_database import build_engine, describe_url
from orgair_objectstore import ObjectStore
from orgair_observability import get_logger
from orgair_observability.entry_points import describe_exception
from orgair_observability.redaction import (
    mask_url_password,
    register_secret_values,
)
from orgair_observability.setting_secrets import secret_values

log = get_logger(__name__)

FIRST_BACKOFF_SECONDS = 0.25
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


def retry_check(name: str, target: str, check: Callable[[], str], *, timeout: float) -> CheckResult:
    """Call `check` until it returns (its text is the success detail) or `timeout` runs
    out: no attempt starts after `timeout` seconds (`stop_before_delay`), so the
    whole check ends within it plus one attempt's own time-outs. Each failed attempt
    is logged (``preflight_waiting``): an operator sees what init is waiting for."""

    def waiting(state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        log.info(
            "preflight_waiting",
            dependency=name,
            attempt=state.attempt_number,
            retry_in_s=round(state.upcoming_sleep, 2),
            reason=describe_exception(error) if error is not None else None,
        )

    attempts = 0
    try:
        for attempt in Retrying(
            stop=stop_before_delay(timeout),
            wait=wait_exponential_jitter(
                multiplier=FIRST_BACKOFF_SECONDS,
                max=MAX_BACKOFF_SECONDS,
                jitter=FIRST_BACKOFF_SECONDS,
            ),
            retry=retry_if_exception_type(Exception),
            before_sleep=waiting,
            reraise=True,
        ):
            with attempt:
                attempts = attempt.retry_state.attempt_number
                detail = check()
    except Exception as exc:
        return CheckResult(name, target, False, attempts, describe_exception(exc))
    return CheckResult(name, target, True, attempts, detail)


def check_database(settings: Settings, *, timeout: float) -> CheckResult:
    url = settings.database_url
    target = describe_url(url)
    try:
        engine = build_engine(url)
    except Exception as exc:  # not transient (a driver option, a folder that cannot exist)
        return CheckResult("database", target, False, 1, describe_exception(exc))

    def ping() -> str:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return "SELECT 1 answered"

    try:
        return retry_check("database", target, ping, timeout=timeout)
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
            results.append(retry_check(name, mask_url_password(url), ping, timeout=timeout))
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
    return retry_check("s3", target, reach, timeout=timeout)


def run_preflight(settings: Settings) -> list[CheckResult]:
    # Error texts may quote a URL or a credential: every secret of the settings is
    # scrubbed from them (and from this process's log lines) from here on.
    register_secret_values(secret_values(settings))
    timeout = settings.PREFLIGHT_TIMEOUT_SECONDS
    return [
        check_database(settings, timeout=timeout),
        *check_redis(settings, timeout=timeout),
        check_s3(settings, timeout=timeout),
    ]
