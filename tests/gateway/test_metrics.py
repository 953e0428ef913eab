"""The gateway's `/metrics`: admin-only, and each gateway metric moves when it should."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from orgair_auth import Role
from orgair_config import Settings
from tests.gateway.conftest import IssueKey
from tests.gateway.support import ThreadedServer
from tests.support.servers import free_port


def total(text: str, name: str, **labels: str) -> float:
    """Sum of every sample of `name` whose labels include `labels`."""
    result = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("} ")[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            result += float(line.rsplit(" ", 1)[1])
    return result


def test_metrics_need_an_admin_key(gateway: ThreadedServer, issue_key: IssueKey) -> None:
    assert httpx.get(f"{gateway.url}/metrics").status_code == 401
    analyst = {"X-API-Key": issue_key(Role.ANALYST).key}
    assert httpx.get(f"{gateway.url}/metrics", headers=analyst).status_code == 403
    admin = {"X-API-Key": issue_key(Role.ADMIN).key}
    response = httpx.get(f"{gateway.url}/metrics", headers=admin)
    assert response.status_code == 200
    assert "orgair_http_requests_total" in response.text


def test_proxied_rejected_and_failed_requests_are_counted(
    gateway_settings: Callable[..., Settings], issue_key: IssueKey
) -> None:
    from orgair_gateway.app import create_app

    # Two keys: the scraper's requests must not spend the caller's quota.
    scraper = {"X-API-Key": issue_key(Role.ADMIN).key}
    caller = {"X-API-Key": issue_key(Role.ANALYST).key}
    servers = [
        ThreadedServer(create_app(gateway_settings(RATE_LIMIT_PER_MINUTE=3))).start(),
        ThreadedServer(
            create_app(gateway_settings(SCORING_URL=f"http://127.0.0.1:{free_port()}"))
        ).start(),
    ]
    limited, broken = (server.url for server in servers)
    try:
        before = httpx.get(f"{broken}/metrics", headers=scraper).text
        statuses = [httpx.get(f"{limited}/api/v1/echo", headers=caller).status_code
                    for _ in range(4)]  # fmt: skip
        assert statuses == [200, 200, 200, 429]
        assert httpx.get(f"{broken}/api/v1/echo", headers=scraper).status_code == 502
        after_text = httpx.get(f"{broken}/metrics", headers=scraper).text
    finally:
        for server in servers:
            server.stop()

    def delta(name: str, **labels: str) -> float:
        return total(after_text, name, **labels) - total(before, name, **labels)

    route = "/api/v1/{path}"
    assert delta("orgair_http_requests_total", route=route, status="200") == 3
    assert delta("orgair_http_requests_total", route=route, status="429") == 1
    assert delta("orgair_http_requests_total", route=route, status="502") == 1
    assert delta("orgair_rate_limit_rejections_total", scope="api_key") == 1
    assert delta("orgair_upstream_errors_total", kind="unreachable") == 1
    assert "/api/v1/echo" not in after_text  # proxied paths are labelled by their prefix
