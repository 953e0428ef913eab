"""Container healthcheck for LocalStack (standard library only).

Healthy means: S3 is `available` or `running` in `/_localstack/health`, and the
ready stage of the init hooks has completed with every hook successful, so the
bucket named by S3_BUCKET exists (infra/localstack/ready.d). Exit 0 when healthy,
1 otherwise, with one line saying why.

Mounted read-only into the LocalStack container by compose.yaml and run with the
image's own Python. It lives outside init/ready.d so LocalStack does not run it
as a hook.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

S3_READY_STATES = frozenset({"available", "running"})


def _get_json(url: str, timeout: float) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed http URL)
        return json.load(response)


def check(base_url: str, timeout: float = 3.0) -> str | None:
    """None when LocalStack is ready for the platform, else the reason it is not."""
    try:
        health = _get_json(f"{base_url}/_localstack/health", timeout)
        ready = _get_json(f"{base_url}/_localstack/init/ready", timeout)
    except (OSError, ValueError) as exc:
        return f"LocalStack not answering at {base_url}: {exc}"

    s3_state = (health.get("services") or {}).get("s3")
    if s3_state not in S3_READY_STATES:
        return f"S3 is {s3_state or 'not enabled'} (want one of {sorted(S3_READY_STATES)})"
    if ready.get("completed") is not True:
        return "ready hooks have not completed yet"
    failed = [
        script.get("name", "?")
        for script in ready.get("scripts") or []
        if script.get("state") != "SUCCESSFUL"
    ]
    if failed:
        return f"ready hook(s) failed: {', '.join(failed)}"
    return None


def main() -> int:
    base_url = os.environ.get("LOCALSTACK_HEALTH_URL", "http://127.0.0.1:4566").rstrip("/")
    problem = check(base_url)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)  # noqa: T201
        return 1
    print("healthy")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
