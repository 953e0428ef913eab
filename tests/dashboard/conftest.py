"""Dashboard fixtures: one stack for the package, a seeded portfolio, a real browser.

The browser is Debian's Chromium driven by Playwright for Python (Playwright's own
browser download is not reachable here): launched by path, headless, with a fresh
user-data directory per test, so no test sees another's cookies.
Screenshots go to test-artifacts/dashboard/ (gitignored) for people to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from orgair_auth import Role
from tests.conftest import REPO_ROOT
from tests.dashboard.stack import V2, DashboardStack, running_stack
from tests.support.servers import RedisServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboard"
BIG_FUND_SIZE = 240


@dataclass
class Portfolio:
    big_fund_id: str
    big_fund_name: str
    small_fund_id: str
    company_id: str  # an approved score, then a pending one
    company_name: str
    approved_score: dict[str, Any]
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # company name -> score


@pytest.fixture(scope="package")
def dashboard_stack(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, s3_endpoint: str
) -> Iterator[DashboardStack]:
    with running_stack(tmp_path_factory.mktemp("dashboard"), redis_server, s3_endpoint) as stack:
        yield stack


@pytest.fixture(scope="package")
def portfolio(dashboard_stack: DashboardStack) -> Portfolio:
    stack = dashboard_stack
    acme = stack.company("Acme Robotics", "manufacturing")
    approved = stack.scored(acme["id"], 58, on="2026-03-31")
    assert approved["review_status"] == "auto_approved", approved
    pending = {"Acme Robotics": stack.scored(acme["id"], 16, on="2026-09-30")}
    for name, sector, level in (
        ("Borealis Health", "healthcare", 14),
        ("Cobalt Retail", "retail", 17),
        ("Delta Cloud", "technology", 96),
    ):
        company = stack.company(name, sector)
        pending[name] = stack.scored(company["id"], level)
    for score in pending.values():
        assert score["review_status"] == "pending_review", score
    small = stack.fund(
        "Harbor Value Partners",
        [{"company_id": s["company_id"], "ev_usd": 25e6 * (i + 1)}
         for i, s in enumerate(pending.values())],
    )  # fmt: skip
    ids = stack.bulk_companies(BIG_FUND_SIZE, prefix="Northwind Portfolio Co", seed=15)
    big = stack.fund(
        "Northwind Growth Fund",
        [{"company_id": c, "ev_usd": 1e6 * (1 + i % 37)} for i, c in enumerate(ids)],
    )
    # The fund has been scored once, so its page has quartiles, leaders and laggards.
    job = stack.call("POST", f"{V2}/funds/{big['id']}/scoring-jobs", 202, json={})
    assert stack.wait_for_job(job["id"])["state"] == "succeeded"
    return Portfolio(
        big_fund_id=big["id"],
        big_fund_name=big["name"],
        small_fund_id=small["id"],
        company_id=acme["id"],
        company_name="Acme Robotics",
        approved_score=approved,
        pending=pending,
    )


@pytest.fixture(scope="session")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Any]:
    # Module scope: Playwright's sync API keeps an event loop current on this thread while
    # it runs, so it must be gone before tests that run their own loop.
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def browser(
    playwright_driver: Any, dashboard_stack: DashboardStack, tmp_path: Path
) -> Iterator[Callable[[], Any]]:
    """`browser()`: a new Chromium with a fresh profile (its own cookies); closed after."""
    contexts: list[Any] = []

    def launch() -> Any:
        context = playwright_driver.chromium.launch_persistent_context(
            str(tmp_path / f"profile-{len(contexts)}"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            base_url=dashboard_stack.gateway,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield launch
    for context in contexts:
        context.close()


def sign_in(context: Any, stack: DashboardStack, role: Role) -> Any:
    """A page of `context`, signed in with the key of `role`, on the funds list."""
    page = context.pages[0] if context.pages else context.new_page()
    page.goto("/dashboard/sign-in")
    page.get_by_label("API key").fill(stack.keys[role].key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/funds")
    return page
