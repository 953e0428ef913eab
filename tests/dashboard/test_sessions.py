"""Sessions, CSRF, roles, rate limits and headers of the dashboard, over real HTTP.

The same package stack as the browser tests (tests/dashboard/stack.py), called with
httpx as a browser would (cookies kept, forms urlencoded), plus a gateway of its own
where a test needs other limits.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from orgair_auth import Role
from orgair_gateway.dashboard import (
    company_pages,
    fund_pages,
    job_pages,
    parameter_pages,
    review_pages,
)
from orgair_gateway.dashboard.render import CONTENT_SECURITY_POLICY
from tests.dashboard.conftest import Portfolio
from tests.dashboard.session_client import FORM_TOKEN, csrf_token, sign_in, signed_in
from tests.dashboard.stack import V2, DashboardStack
from tests.gateway.support import serving
from tests.worker.sse import read_stream

pytestmark = pytest.mark.slow


@pytest.fixture
def analyst(dashboard_stack: DashboardStack) -> Iterator[httpx.Client]:
    with signed_in(dashboard_stack.gateway, dashboard_stack.keys[Role.ANALYST].key) as client:
        yield client


def _gateway_with(stack: DashboardStack, **overrides: Any) -> Any:
    from orgair_gateway.app import create_app

    return serving(create_app(stack.settings.model_copy(update=overrides)))


def test_the_session_cookie_and_the_page_headers(
    dashboard_stack: DashboardStack, portfolio: Portfolio
) -> None:
    client = httpx.Client(base_url=dashboard_stack.gateway)
    answer = sign_in(client, dashboard_stack.keys[Role.VIEWER].key)
    cookie = next(
        v for v in answer.headers.get_list("set-cookie") if v.startswith("orgair_session=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "samesite", "max-age"} <= attributes
    assert "secure" not in attributes  # plain HTTP here; see the HTTPS test below
    assert "SameSite=lax" in cookie and "Path=/dashboard" in cookie
    assert f"Max-Age={dashboard_stack.settings.DASHBOARD_SESSION_SECONDS}" in cookie

    page = client.get(f"/dashboard/funds/{portfolio.small_fund_id}")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert (
        "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe" not in CONTENT_SECURITY_POLICY
    )
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["ratelimit-policy"].startswith('"per-key"')
    assert page.headers["x-correlation-id"]
    client.close()


def test_over_https_the_cookie_is_secure(dashboard_stack: DashboardStack) -> None:
    from orgair_gateway.app import create_app

    with TestClient(
        create_app(dashboard_stack.settings),
        base_url="https://dashboard.test",
        follow_redirects=False,
    ) as tls:
        answer = sign_in(tls, dashboard_stack.keys[Role.VIEWER].key)  # type: ignore[arg-type]
        cookie = next(
            v for v in answer.headers.get_list("set-cookie") if v.startswith("orgair_session=")
        )
        assert "Secure" in cookie
        assert tls.get("/dashboard/funds").headers["strict-transport-security"]


def _dashboard_routes() -> list[tuple[str, str]]:
    routes = []
    for module in (fund_pages, job_pages, company_pages, review_pages, parameter_pages):
        for route in module.router.routes:
            for method in sorted(route.methods):
                path = re.sub(r"\{[a-z]+_id\}", str(uuid.uuid4()), route.path)
                routes.append((method, path.replace("{file_format}", "json")))
    return routes


@pytest.mark.parametrize(("method", "path"), _dashboard_routes())
def test_every_page_needs_a_session(
    dashboard_stack: DashboardStack, method: str, path: str
) -> None:
    with httpx.Client(base_url=dashboard_stack.gateway) as anonymous:
        answer = anonymous.request(
            method, path, data={"csrf_token": "x"} if method == "POST" else None
        )
    if path.endswith(("/events", ".json")):
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
    else:
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].startswith("/dashboard/sign-in")


def test_an_unauthenticated_page_returns_there_after_sign_in(
    dashboard_stack: DashboardStack, portfolio: Portfolio
) -> None:
    with httpx.Client(base_url=dashboard_stack.gateway) as client:
        target = f"/dashboard/funds/{portfolio.small_fund_id}?m_sort=org_air"
        bounced = client.get(target)
        assert bounced.status_code == 303
        assert bounced.headers["location"].startswith("/dashboard/sign-in?next=")
        answer = sign_in(client, dashboard_stack.keys[Role.VIEWER].key, next_path=target)
        assert answer.headers["location"] == target
        # Never to another site, whatever `next` says.
        for elsewhere in ("https://attacker.example/", "//attacker.example/x", "/api/v2/funds"):
            assert sign_in(client, dashboard_stack.keys[Role.VIEWER].key,
                           next_path=elsewhere).headers["location"] == "/dashboard/funds"  # fmt: skip


def test_a_revoked_key_ends_its_sessions(dashboard_stack: DashboardStack) -> None:
    issued = dashboard_stack.issue_key(Role.ANALYST, "Soon revoked")
    with signed_in(dashboard_stack.gateway, issued.key) as client:
        assert client.get("/dashboard/funds").status_code == 200
        dashboard_stack.revoke_key(issued)
        ended = client.get("/dashboard/funds")
        assert ended.status_code == 303
        assert ended.headers["location"].endswith("ended=key")
        assert "orgair_session=" in ended.headers["set-cookie"]  # cleared
        assert "revoked" in client.get(ended.headers["location"]).text


def test_sign_out_ends_the_session_for_any_copy_of_the_cookie(
    dashboard_stack: DashboardStack,
) -> None:
    with signed_in(dashboard_stack.gateway, dashboard_stack.keys[Role.VIEWER].key) as client:
        stolen = client.cookies.get("orgair_session")
        token = csrf_token(client)
        answer = client.post("/dashboard/sign-out", data={"csrf_token": token})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/dashboard/sign-in?ended=signed-out"
    with httpx.Client(
        base_url=dashboard_stack.gateway, cookies={"orgair_session": stolen or ""}
    ) as copy:
        assert copy.get("/dashboard/funds").status_code == 303


def test_signing_in_again_ends_the_previous_session(dashboard_stack: DashboardStack) -> None:
    with signed_in(dashboard_stack.gateway, dashboard_stack.keys[Role.VIEWER].key) as client:
        first = client.cookies.get("orgair_session")
        sign_in(client, dashboard_stack.keys[Role.ANALYST].key)
        assert client.cookies.get("orgair_session") != first
        assert "Dana Analyst" in client.get("/dashboard/funds").text
    with httpx.Client(
        base_url=dashboard_stack.gateway, cookies={"orgair_session": first or ""}
    ) as old:
        assert old.get("/dashboard/funds").status_code == 303


def test_sign_out_needs_the_csrf_token(dashboard_stack: DashboardStack) -> None:
    with signed_in(dashboard_stack.gateway, dashboard_stack.keys[Role.VIEWER].key) as client:
        assert client.post("/dashboard/sign-out", data={}).status_code == 403
        assert client.get("/dashboard/funds").status_code == 200  # still signed in


def test_sign_in_refuses_forged_forms_and_bad_keys(dashboard_stack: DashboardStack) -> None:
    key = dashboard_stack.keys[Role.VIEWER].key
    with (
        _gateway_with(dashboard_stack, RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE=3) as gateway,
        httpx.Client(base_url=gateway.url) as client,
    ):
        # A form posted from elsewhere has no sign-in cookie to match its token.
        forged = client.post("/dashboard/sign-in", data={"form_token": "0" * 64, "api_key": key})
        assert forged.status_code == 403
        assert "orgair_session" not in client.cookies

        def attempt(api_key: str) -> httpx.Response:
            form = client.get("/dashboard/sign-in")
            token = FORM_TOKEN.search(form.text).group(1)  # type: ignore[union-attr]
            return client.post("/dashboard/sign-in", data={"form_token": token, "api_key": api_key})

        wrong = attempt("oair_" + "A" * 36)
        assert wrong.status_code == 401
        assert "not valid" in wrong.text
        assert attempt("").status_code == 400  # no key at all: nothing to count
        assert attempt("oair_" + "B" * 36).status_code == 401
        assert attempt("oair_" + "C" * 36).status_code == 401  # the third of three
        # Spent: even the right key gets no lookup from this address now.
        spent = attempt(key)
        assert spent.status_code == 429
        assert spent.headers["retry-after"]
        assert "orgair_session" not in client.cookies


def test_pages_count_against_the_keys_rate_limit(dashboard_stack: DashboardStack) -> None:
    issued = dashboard_stack.issue_key(Role.VIEWER, "Limited viewer")
    with (
        _gateway_with(dashboard_stack, RATE_LIMIT_PER_MINUTE=3) as gateway,
        signed_in(gateway.url, issued.key) as pages,
        httpx.Client(base_url=gateway.url, headers={"X-API-Key": issued.key}) as api,
    ):
        first = pages.get("/dashboard/funds")
        assert first.status_code == 200
        assert first.headers["ratelimit"].startswith('"per-key";r=2;')
        assert api.get(f"{V2}/funds").status_code == 200  # the same budget
        assert pages.get("/dashboard/reviews").status_code == 200
        refused = pages.get("/dashboard/funds")
        assert refused.status_code == 429
        assert refused.headers["retry-after"]
        assert "per 60 s" in refused.text
        assert api.get(f"{V2}/funds").status_code == 429


def test_a_page_is_the_apis_answer(dashboard_stack: DashboardStack, portfolio: Portfolio) -> None:
    with signed_in(dashboard_stack.gateway, dashboard_stack.keys[Role.VIEWER].key) as viewer:
        page = viewer.get(f"/dashboard/funds/{portfolio.small_fund_id}")
        summary = dashboard_stack.call("GET", f"{V2}/funds/{portfolio.small_fund_id}/summary", 200,
                                       role=Role.VIEWER)  # fmt: skip
        fund_air = "—" if summary["fund_air"] is None else f"{summary['fund_air']:.1f}"
        assert f"<dt>Fund-AI-R</dt><dd>{fund_air}</dd>" in page.text
        assert f"<dt>Unscored</dt><dd>{summary['unscored_count']:,}</dd>" in page.text
        for member in summary["members"]:
            assert member["company_name"] in page.text
        # The API's 404 is the page's 404; a malformed id names nothing either.
        missing = viewer.get(f"/dashboard/funds/{uuid.uuid4()}")
        assert missing.status_code == 404
        assert "fund" in missing.text.lower()
        assert viewer.get("/dashboard/funds/not-a-fund").status_code == 404
        assert viewer.get("/dashboard/no-such-page").status_code == 404


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
_EXTERNAL = re.compile(r'(?:src|href)="(?:https?:)?//', re.IGNORECASE)


def test_pages_have_nothing_inline_and_nothing_from_elsewhere(
    dashboard_stack: DashboardStack, portfolio: Portfolio, analyst: httpx.Client
) -> None:
    jobs = dashboard_stack.call("GET", f"{V2}/funds/{portfolio.big_fund_id}/scoring-jobs", 200)
    paths = [
        "/dashboard/funds",
        f"/dashboard/funds/{portfolio.big_fund_id}",
        f"/dashboard/companies/{portfolio.company_id}",
        "/dashboard/reviews",
        "/dashboard/parameters",
        f"/dashboard/jobs/{jobs['items'][0]['id']}",
        f"/dashboard/funds/{uuid.uuid4()}",
    ]
    browser_accept = {"Accept": "text/html,application/xhtml+xml"}
    pages = [analyst.get(path, headers=browser_accept) for path in paths]
    pages.append(httpx.get(dashboard_stack.gateway + "/dashboard/sign-in"))
    assert pages[-2].status_code == 404  # an error page is a page too
    for page in pages:
        assert page.headers["content-type"].startswith("text/html")
        html = page.text
        assert not _INLINE_SCRIPT.search(html), page.url
        assert not _INLINE_HANDLER.search(html), page.url
        assert not _STYLE_ATTRIBUTE.search(html), page.url
        assert not _EXTERNAL.search(html), page.url
        for asset in re.findall(r'(?:src|href)="(/dashboard/static/[^"]+)"', html):
            served = analyst.get(asset)
            assert served.status_code == 200
            assert "immutable" in served.headers["cache-control"]


def test_the_event_stream_is_the_apis(
    dashboard_stack: DashboardStack, portfolio: Portfolio, analyst: httpx.Client
) -> None:
    job = dashboard_stack.call("GET", f"{V2}/funds/{portfolio.big_fund_id}/scoring-jobs", 200)[
        "items"
    ][-1]
    through_page = read_stream(analyst, f"/dashboard/jobs/{job['id']}/events")
    through_api = read_stream(dashboard_stack.api(), f"{V2}/jobs/{job['id']}/events")
    assert through_page.ended and through_page.events == through_api.events
    assert through_page.events[-1].kind == "completed"
    # Resuming after an event, as a reconnecting EventSource does.
    resumed = read_stream(analyst, f"/dashboard/jobs/{job['id']}/events",
                          last_event_id=through_api.events[0].id)  # fmt: skip
    assert resumed.events == through_api.events[1:]
    malformed = analyst.get(f"/dashboard/jobs/{job['id']}/events",
                            headers={"Last-Event-ID": "not-an-id"})  # fmt: skip
    assert malformed.status_code == 400
    assert malformed.headers["content-type"] == "application/problem+json"


def test_decisions_follow_the_apis_rules(
    dashboard_stack: DashboardStack, portfolio: Portfolio
) -> None:
    acme = portfolio.pending["Acme Robotics"]
    decision = f"/dashboard/reviews/{acme['id']}/decision"
    with signed_in(dashboard_stack.gateway, dashboard_stack.keys[Role.ANALYST].key) as analyst:
        token = csrf_token(analyst)
        # An analyst's session with a valid token: the reviewer role is still required.
        refused = analyst.post(decision, data={"csrf_token": token, "decision": "approve"},
                               headers={"Accept": "text/html"})  # fmt: skip
        assert refused.status_code == 403
        assert "reviewer role" in refused.text
    with signed_in(dashboard_stack.gateway, dashboard_stack.keys[Role.REVIEWER].key) as reviewer:
        token = csrf_token(reviewer)
        blank = reviewer.post(decision, data={"csrf_token": token, "decision": "reject",
                                              "comment": "   "})  # fmt: skip
        assert blank.status_code == 303
        notice = reviewer.get(blank.headers["location"]).text
        assert "comment is required when rejecting a score" in notice
        queue = dashboard_stack.call("GET", f"{V2}/reviews", 200)["items"]
        assert acme["id"] in {score["id"] for score in queue}
        unknown = reviewer.post(decision, data={"csrf_token": token, "decision": "maybe"})
        assert "Choose Approve or Reject" in reviewer.get(unknown.headers["location"]).text
