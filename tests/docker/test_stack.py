"""compose.yaml on a real Docker engine, driven through the gateway's published port.

The stack is compose.yaml plus only the stand-ins' override (infra/standins) and the
test's own (no developer .env); the gateway is published on 127.0.0.1 at a free port,
the only port. In order: start-up (`up --wait`) and the init job's order; the
analyst's day (tests/e2e/analyst_day.py: keys, CS1 flow, a v2 score and its review, a
fund job over SSE and its S3 report, one trace gateway -> scoring -> worker at the
OTLP stand-in, JSON logs, no secret); then what the restart policy and the
healthchecks promise: a killed main process comes back, a worker frozen out of or cut
from its broker exits and is restarted, and jobs queued meanwhile finish exactly once.
Recovery times go to the figures printed at the end.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orgair_cli.devstack import free_port
from orgair_cli.localengine.daemon import Engine
from orgair_cli.localengine.stack import LocalStack, repository_root
from tests.docker.containers import APP_SERVICES, FIGURES, DockerPlatform, docker_time, wait_for
from tests.e2e.analyst_day import TECHNOLOGY, Api, analysts_day, submitted_assessment
from tests.worker.sse import read_stream

# Generous per test: the first one also waits for the images (a fresh machine builds
# them from debootstrap up) and the stack to come up.
pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(2400)]

UP_TIMEOUT = 300
# Worker: heartbeat every 10 s, stale after 3; exits 60 s into an outage, warm shutdown
# of up to 10 s; docker restarts it; the first healthcheck comes one interval (15 s) in.
WORKER_EXIT_TIMEOUT = 150
RECOVERY_TIMEOUT = 120


@pytest.fixture(scope="module")
def platform(
    built: Engine, override_file: Path, stack_env: dict[str, str]
) -> Iterator[DockerPlatform]:
    port = free_port()
    env = {**stack_env, "GATEWAY_PUBLISHED_PORT": str(port)}
    stack = LocalStack(built, repository_root(), project="orgair-stacktest",
                       overrides=(override_file,), env=env)  # fmt: skip
    stack.down()  # whatever an interrupted run left behind
    try:
        started = time.monotonic()
        result = stack.up(UP_TIMEOUT)
        FIGURES["stack: up --wait (all healthy)"] = f"{time.monotonic() - started:.1f} s"
        assert result.returncode == 0, result.stdout + result.stderr
        yield DockerPlatform(
            stack=stack,
            gateway=f"http://127.0.0.1:{port}",
            secrets=[stack_env["SECRET_KEY"], stack_env["AWS_SECRET_ACCESS_KEY"]],
        )
    finally:
        stack.down()


@pytest.fixture(scope="module")
def admin(platform: DockerPlatform) -> Api:
    return Api(platform, platform.issue_admin_key())


def test_only_the_gateway_publishes_a_port_on_loopback(platform: DockerPlatform) -> None:
    published = {}
    for service in ("redis", "localstack", "otel-collector", "scoring", "worker", "gateway"):
        ports = platform.inspect(service)["NetworkSettings"]["Ports"] or {}
        published[service] = [b for bindings in ports.values() if bindings for b in bindings]
    assert {name for name, bindings in published.items() if bindings} == {"gateway"}
    assert {b["HostIp"] for b in published["gateway"]} == {"127.0.0.1"}


def test_init_ran_preflight_then_migrations_then_seed_before_the_services(
    platform: DockerPlatform,
) -> None:
    events = [json.loads(line)["event"] for line in platform.log_lines("init")]
    order = [e for e in events if e in {"preflight_check", "migrations_applied", "seed_applied"}]
    assert order[:3] == ["preflight_check"] * 3 and order[3:] == [
        "migrations_applied",
        "seed_applied",
    ]
    init = platform.inspect("init")["State"]
    assert init["Status"] == "exited" and init["ExitCode"] == 0
    for service in ("scoring", "worker"):
        started = platform.inspect(service)["State"]["StartedAt"]
        assert docker_time(started) > docker_time(init["FinishedAt"]), service


def test_the_services_run_read_only_as_non_root(platform: DockerPlatform) -> None:
    for service in ("scoring", "worker", "gateway"):
        config = platform.inspect(service)
        assert config["HostConfig"]["ReadonlyRootfs"] is True, service
        assert config["Config"]["User"] == "10001:10001", service
        probe = platform.stack.compose(
            "exec", "-T", service, "sh", "-c", "id -u; touch /app/x 2>/dev/null && echo wrote",
            step=f"write probe in {service}", timeout=60, check=False,
        )  # fmt: skip
        assert probe.stdout.split() == ["10001"], (service, probe.stdout)


def test_an_analysts_day_through_the_published_port(platform: DockerPlatform) -> None:
    analysts_day(platform)


def _serves(api: Api) -> bool:
    try:
        return api.client.get("/api/v1/industries").status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("service", ["scoring", "gateway"])
def test_a_killed_main_process_is_restarted_and_the_stack_serves_again(
    platform: DockerPlatform, admin: Api, service: str
) -> None:
    before = platform.restart_count(service)
    platform.kill_main_process(service)
    restarted = wait_for(f"{service} restarted", lambda: platform.restart_count(service) > before,
                         timeout=RECOVERY_TIMEOUT)  # fmt: skip
    serving = wait_for(f"the stack serves after {service} was killed", lambda: _serves(admin),
                       timeout=RECOVERY_TIMEOUT)  # fmt: skip
    healthy = wait_for(f"{service} healthy again", lambda: platform.health(service) == "healthy",
                       timeout=RECOVERY_TIMEOUT)  # fmt: skip
    FIGURES[f"recovery: kill -9 {service} -> restarted / serving again / healthy"] = (
        f"{restarted:.1f} s / {restarted + serving:.1f} s / {restarted + serving + healthy:.1f} s"
    )


def _failed_probe_seen(platform: DockerPlatform) -> bool:
    log = (platform.inspect("worker")["State"].get("Health") or {}).get("Log") or []
    return any(entry["ExitCode"] != 0 for entry in log)


def test_a_worker_frozen_out_of_its_broker_exits_and_is_restarted(
    platform: DockerPlatform, admin: Api
) -> None:
    before = platform.restart_count("worker")
    engine = platform.stack.engine
    redis = platform.stack.container_id("redis")
    engine.docker("pause", redis, step="pause redis", timeout=30)
    paused_at = time.monotonic()
    try:
        unhealthy_seen = False
        while platform.restart_count("worker") == before:
            assert time.monotonic() - paused_at < WORKER_EXIT_TIMEOUT, "worker never restarted"
            unhealthy_seen = unhealthy_seen or _failed_probe_seen(platform)
            time.sleep(1)
        exited = time.monotonic() - paused_at
    finally:
        engine.docker("unpause", redis, step="unpause redis", timeout=30)
    unpaused_at = time.monotonic()
    assert unhealthy_seen, "the worker's healthcheck never failed while its broker was frozen"
    wait_for("worker healthy after the broker is back", lambda: platform.health("worker") == "healthy",
             timeout=RECOVERY_TIMEOUT)  # fmt: skip
    healthy = time.monotonic() - unpaused_at
    FIGURES["recovery: docker pause redis -> worker restarted"] = f"{exited:.1f} s"
    FIGURES["recovery: docker unpause redis -> worker healthy"] = f"{healthy:.1f} s"
    _job_runs_exactly_once(admin, _fund(admin, 3), timeout=RECOVERY_TIMEOUT)


def test_jobs_queued_while_the_worker_is_cut_off_finish_exactly_once(
    platform: DockerPlatform, admin: Api
) -> None:
    engine = platform.stack.engine
    worker = platform.stack.container_id("worker")
    before = platform.restart_count("worker")
    funds = [_fund(admin, 3), _fund(admin, 4)]
    engine.docker("network", "disconnect", platform.network(), worker, step="cut the worker off",
                  timeout=30)  # fmt: skip
    cut_at = time.monotonic()
    # Redis hands a message to a BRPOP already waiting when it arrives, before the
    # consumer has it (kombu records it as unacknowledged only on receipt): a message
    # pushed within that ~1 s poll of a worker just cut off goes to a dead socket. Queue
    # once Redis holds no such BRPOP (the Redis transport's window; README).
    wait_for("the cut-off worker's BRPOP to expire", lambda: not platform.blocked_brpops(),
             timeout=30)  # fmt: skip
    jobs = [admin.call("POST", f"/api/v2/funds/{fund}/scoring-jobs", 202)["id"] for fund in funds]
    try:
        wait_for("worker restarted while cut off", lambda: platform.restart_count("worker") > before,
                 timeout=WORKER_EXIT_TIMEOUT, every=1)  # fmt: skip
        exited = time.monotonic() - cut_at
        for job in jobs:  # nothing ran while the worker was cut off
            assert admin.call("GET", f"/api/v2/jobs/{job}", 200)["state"] == "queued"
    finally:
        engine.docker("network", "connect", platform.network(), worker, step="reconnect the worker",
                      timeout=30)  # fmt: skip
    reconnected_at = time.monotonic()
    for job in jobs:
        _job_runs_exactly_once(admin, job, timeout=RECOVERY_TIMEOUT, created=True)
    FIGURES["recovery: worker network cut -> worker restarted"] = f"{exited:.1f} s"
    FIGURES["recovery: reconnect -> both queued jobs done"] = (
        f"{time.monotonic() - reconnected_at:.1f} s"
    )


def test_every_orgair_container_logs_json_and_no_secret(platform: DockerPlatform) -> None:
    """After the restarts too: one JSON object per line, and no secret anywhere."""
    everything = []
    for service in (*APP_SERVICES, "redis", "localstack", "otel-collector"):
        lines = [line for line in platform.log_lines(service) if line.strip()]
        everything.extend(lines)
        if service in APP_SERVICES:
            assert lines, service
            for line in lines:
                entry = json.loads(line)
                assert {"timestamp", "level", "event", "service"} <= set(entry), (service, line)
    text = "\n".join(everything)
    for secret in platform.secrets:
        assert secret not in text


# ----------------------------------------------------------------- helpers


def _fund(admin: Api, members: int) -> str:
    companies = []
    for index in range(members):
        company = admin.call("POST", "/api/v1/companies", 201,
                             json={"name": f"Restart Co {time.monotonic_ns()}-{index}",
                                   "industry_id": TECHNOLOGY})  # fmt: skip
        submitted_assessment(admin, company["id"], 50 + 5 * index)
        companies.append(company["id"])
    fund = admin.call(
        "POST", "/api/v2/funds", 201,
        json={"name": f"Fund {time.monotonic_ns()}",
              "members": [{"company_id": c, "ev_usd": 1e8} for c in companies]},
    )  # fmt: skip
    return str(fund["id"])


def _job_runs_exactly_once(
    admin: Api, fund_or_job: str, *, timeout: float, created: bool = False
) -> None:
    """The job (created here unless `created`) ends succeeded with each company once, and
    its event stream (replayed from the start) completes once."""
    job = fund_or_job if created else admin.call(
        "POST", f"/api/v2/funds/{fund_or_job}/scoring-jobs", 202)["id"]  # fmt: skip

    def finished() -> bool:
        state = admin.call("GET", f"/api/v2/jobs/{job}", 200)["state"]
        return state not in {"queued", "running"}

    wait_for(f"job {job} finished", finished, timeout=timeout, every=1)
    result = admin.call("GET", f"/api/v2/jobs/{job}", 200)
    assert result["state"] == "succeeded", result
    assert result["done"] == result["total"] == result["scored"], result
    kinds = [event.kind for event in read_stream(admin.client, f"/api/v2/jobs/{job}/events").events]
    assert kinds.count("completed") == 1 and kinds[-1] == "completed", kinds
