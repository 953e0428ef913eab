"""The dashboard in a real browser (Chromium via Playwright) against the real stack.

Each test signs in with a key of one role and does what that person would: look at a
fund, start a rescoring job and watch it finish, read a company, decide reviews,
compare parameter profiles; a viewer finds no write controls and forged posts are
refused; the keyboard alone gets through. Every page is also checked against what the
API answers to the same key, and screenshots land in test-artifacts/dashboard/.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from orgair_auth import Role
from orgair_gateway.dashboard.parameter_pages import flatten
from tests.dashboard.conftest import BIG_FUND_SIZE, Portfolio, sign_in
from tests.dashboard.stack import V2, DashboardStack

pytestmark = pytest.mark.slow

Browser = Callable[[], Any]


def shoot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_sign_in_open_a_fund_and_work_its_tables(
    browser: Browser, dashboard_stack: DashboardStack, portfolio: Portfolio, artifacts: Path
) -> None:
    stack = dashboard_stack
    page = sign_in(browser(), stack, Role.ANALYST)
    expect(page.get_by_role("link", name="Northwind Growth Fund")).to_be_visible()
    expect(page.get_by_role("link", name="Harbor Value Partners")).to_be_visible()
    shoot(page, artifacts, "01-funds")

    page.get_by_role("link", name="Northwind Growth Fund").click()
    page.wait_for_url(f"**/dashboard/funds/{portfolio.big_fund_id}")
    summary = stack.call("GET", f"{V2}/funds/{portfolio.big_fund_id}/summary", 200)
    kpis = page.locator("dl.kpis")
    expect(kpis.locator(".kpi-main dd").first).to_have_text(f"{summary['fund_air']:.1f}")
    expect(kpis).to_contain_text(f"Scored{summary['scored_count']:,}")
    expect(kpis).to_contain_text(f"Sector HHI{summary['sector_hhi']:.3f}".rstrip("0"))
    assert page.locator("svg.chart[role=img]").count() >= 2
    members = page.locator("#m-table tbody tr")
    expect(members).to_have_count(25)
    expect(page.locator("#m-table .pager .count")).to_have_text(
        f"Rows 1\u201325 of {BIG_FUND_SIZE}"
    )
    shoot(page, artifacts, "02-fund")

    # Sorting by Org-AI-R (largest first) puts the API's best member on top.
    page.locator("#m-table thead").get_by_role("link", name=re.compile("Org-AI-R")).click()
    best = max(m["org_air"] for m in summary["members"] if m["org_air"] is not None)
    expect(members.first.locator("td").nth(3)).to_have_text(f"{best:.1f}")
    expect(page.locator("#m-table th[aria-sort=descending]")).to_contain_text("Org-AI-R")

    # Filtering by quartile: exactly the API's Q1 members, paged.
    page.locator("#m-quartile").select_option("Q1")
    page.locator("#m-table").get_by_role("button", name="Apply").click()
    q1 = [m for m in summary["members"] if m["sector_quartile"] == "Q1"]
    assert q1, "the seeded fund has Q1 members"
    expect(page.locator("#m-table .pager .count")).to_contain_text(f"of {len(q1)}")
    for cell in page.locator("#m-table tbody tr td:nth-child(5)").all_inner_texts():
        assert cell == "Q1"
    # The filter survives paging through the other tables and back.
    expect(page.locator("#m-quartile")).to_have_value("Q1")


def test_start_a_job_and_watch_the_bar_reach_100(
    browser: Browser, dashboard_stack: DashboardStack, portfolio: Portfolio, artifacts: Path
) -> None:
    stack = dashboard_stack
    page = sign_in(browser(), stack, Role.ANALYST)
    page.goto(f"/dashboard/funds/{portfolio.big_fund_id}")
    # With no worker running, the job waits in the queue: the page must open live.
    stack.stop_worker()
    try:
        page.get_by_role("button", name="Start a scoring job").click()
        page.wait_for_url(re.compile(r".*/dashboard/jobs/[0-9a-f-]{36}$"))
        job_id = page.url.rsplit("/", 1)[1]
        panel = page.locator("#job-progress")
        expect(panel).to_have_attribute("data-job-events", f"/dashboard/jobs/{job_id}/events")
        expect(page.locator("[data-job-state]")).to_have_text("Queued")
        expect(page.locator("[role=status]")).to_contain_text("Started a scoring job")
        assert page.evaluate("document.querySelector('#job-bar').value") == 0
        page.evaluate("window.__sameDocument = true")
        shoot(page, artifacts, "03-job-queued")
        stack.start_worker()
        page.wait_for_function(
            "() => { const bar = document.querySelector('#job-bar');"
            f" return bar.max === {BIG_FUND_SIZE} && bar.value === bar.max; }}",
            timeout=90_000,
        )
    finally:
        if not stack.workers.running:
            stack.start_worker()
    expect(page.locator("[data-job-percent]")).to_have_text("100 %")
    expect(page.locator("[data-job-state]")).to_have_text("Succeeded")
    expect(page.locator("[data-job-downloads]")).to_be_visible()
    # Moved by the event stream, not by a reload.
    assert page.evaluate("window.__sameDocument === true")
    shoot(page, artifacts, "04-job-done")
    assert stack.call("GET", f"{V2}/jobs/{job_id}", 200)["state"] == "succeeded"

    with page.expect_download() as json_download:
        page.get_by_role("link", name="Download JSON").click()
    report = json.loads(Path(json_download.value.path()).read_text())
    assert report["job"]["id"] == job_id
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text())))
    assert len(rows) == BIG_FUND_SIZE


def test_company_page_shows_the_apis_scores(
    browser: Browser, dashboard_stack: DashboardStack, portfolio: Portfolio, artifacts: Path
) -> None:
    stack = dashboard_stack
    page = sign_in(browser(), stack, Role.ANALYST)
    page.goto(f"/dashboard/companies/{portfolio.company_id}")
    scores = stack.call("GET", f"{V2}/companies/{portfolio.company_id}/scores", 200)
    expect(page.get_by_role("heading", level=1)).to_have_text(portfolio.company_name)
    approved = page.locator(".score-card.approved")
    expect(approved.locator(".big")).to_have_text(f"{scores['current']['org_air']:.1f}")
    pending = portfolio.pending[portfolio.company_name]
    expect(page.locator(".score-card.pending .big")).to_have_text(f"{pending['org_air']:.1f}")
    expect(page.locator(".score-card.pending .reasons li").first).to_have_text(
        pending["review_reasons"][0]
    )
    # Seven dimensions, the approved and the pending bar of each.
    expect(page.locator("svg[aria-labelledby^=dimensions] rect.bar.series-a")).to_have_count(7)
    expect(page.locator("svg[aria-labelledby^=dimensions] rect.bar.series-b")).to_have_count(7)
    expect(page.locator("svg[aria-labelledby^=history] circle")).to_have_count(
        len(scores["history"])
    )
    expect(page.locator("svg[aria-labelledby^=history] polygon.band")).to_have_count(1)
    expect(page.locator("#h-table tbody tr")).to_have_count(len(scores["history"]))
    # Value-creation plans, evidence and justifications: the sections follow the API.
    plans = stack.api().get(f"{V2}/companies/{portfolio.company_id}/value-creation-plans")
    assert plans.status_code == 200 and plans.json()["total"] == 0
    plans_section = page.locator("section[aria-labelledby=plans-title]")
    expect(plans_section.get_by_role("heading", name="Value-creation plans")).to_have_count(1)
    expect(plans_section).to_contain_text("No plans yet.")
    evidence_path = f"{V2}/companies/{portfolio.company_id}/evidence"
    assert stack.call("GET", evidence_path, 200)["items"] == []
    evidence_section = page.locator("section[aria-labelledby=evidence-title]")
    expect(evidence_section).to_contain_text("No evidence attached.")
    justifications = page.locator("section[aria-labelledby=justifications-title]")
    expect(justifications).to_contain_text("None for the current assessment.")
    note = {"kind": "note", "title": "CTO interview, data platform", "text": "We run dbt.",
            "dimensions": ["data_infrastructure"]}  # fmt: skip
    stack.call("POST", evidence_path, 201, json=note)
    page.reload()
    expect(evidence_section.locator("tbody tr")).to_have_count(1)
    expect(evidence_section).to_contain_text("CTO interview, data platform")
    plan = stack.call("POST", f"{V2}/companies/{portfolio.company_id}/value-creation-plans",
                      201, json={"target_org_air": 75.0})  # fmt: skip
    page.reload()
    expect(plans_section.locator("tbody tr")).to_have_count(1)
    expect(plans_section.locator("tbody tr td").nth(5)).to_have_text(
        f"{plan['ebitda']['risk_adjusted']:.2f}"
    )
    expect(plans_section.locator("svg[aria-labelledby^=plan-ebitda] rect")).to_have_count(4)
    shoot(page, artifacts, "05-company")


def test_reviewer_approves_and_the_api_agrees(
    browser: Browser, dashboard_stack: DashboardStack, portfolio: Portfolio, artifacts: Path
) -> None:
    stack = dashboard_stack
    page = sign_in(browser(), stack, Role.REVIEWER)
    page.get_by_role("link", name="Reviews").click()
    borealis = portfolio.pending["Borealis Health"]
    row = page.locator(f"#review-{borealis['id']}")
    expect(row).to_contain_text("Borealis Health")
    expect(row.locator(".reasons li").first).to_have_text(borealis["review_reasons"][0])
    shoot(page, artifacts, "06-reviews")

    row.get_by_label("Comment").fill("Turnaround plan reviewed with the deal team")
    row.get_by_role("button", name="Approve").click()
    expect(page.locator("[role=status]")).to_contain_text(
        f"Approved the Org-AI-R {borealis['org_air']:.1f} of Borealis Health"
    )
    expect(page.locator(f"#review-{borealis['id']}")).to_have_count(0)
    current = stack.call("GET", f"{V2}/companies/{borealis['company_id']}/scores", 200)["current"]
    assert current["id"] == borealis["id"]
    assert current["review_status"] == "approved"
    assert current["review"]["comment"] == "Turnaround plan reviewed with the deal team"
    assert current["review"]["reviewer"] == str(stack.keys[Role.REVIEWER].record.id)

    # Rejecting without a comment: the API's rule, the API's words; nothing changes.
    cobalt = portfolio.pending["Cobalt Retail"]
    page.locator(f"#review-{cobalt['id']}").get_by_role("button", name="Reject").click()
    expect(page.locator("[role=alert]")).to_contain_text("comment is required")
    expect(page.locator(f"#review-{cobalt['id']}")).to_have_count(1)
    queue = stack.call("GET", f"{V2}/reviews", 200)["items"]
    assert cobalt["id"] in {score["id"] for score in queue}
    shoot(page, artifacts, "07-reviews-after-decisions")


def _post_form(context: Any, path: str, form: dict[str, str], **headers: str) -> Any:
    return context.request.post(path, form=form, headers=headers or None, max_redirects=0)


def test_viewer_sees_no_write_controls_and_forged_posts_are_refused(
    browser: Browser, dashboard_stack: DashboardStack, portfolio: Portfolio, artifacts: Path
) -> None:
    stack = dashboard_stack
    viewer = browser()
    page = sign_in(viewer, stack, Role.VIEWER)
    page.goto(f"/dashboard/funds/{portfolio.big_fund_id}")
    expect(page.get_by_role("heading", name="Northwind Growth Fund")).to_be_visible()
    expect(page.get_by_role("button", name="Start a scoring job")).to_have_count(0)
    shoot(page, artifacts, "08-viewer-fund")
    page.goto("/dashboard/reviews")
    expect(page.locator("table.reviews tbody tr").first).to_contain_text("Acme Robotics")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("button", name="Reject")).to_have_count(0)

    jobs_before = stack.call("GET", f"{V2}/funds/{portfolio.small_fund_id}/scoring-jobs", 200)
    start = f"/dashboard/funds/{portfolio.small_fund_id}/scoring-jobs"
    viewer_token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    # No token, a wrong token: refused before anything else.
    for form in ({}, {"csrf_token": "forged-" + "x" * 36}):
        answer = _post_form(viewer, start, form)
        assert answer.status == 403, answer.text()
        assert "CSRF" in answer.text()
    # The viewer's own valid token: the role still says no, as the API would.
    answer = _post_form(viewer, start, {"csrf_token": viewer_token})
    assert answer.status == 403
    assert "analyst role" in answer.text()

    analyst = browser()
    analyst_page = sign_in(analyst, stack, Role.ANALYST)
    analyst_token = analyst_page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert analyst_token != viewer_token
    # Another session's token, or the right token from another site: refused.
    assert _post_form(analyst, start, {"csrf_token": viewer_token}).status == 403
    cross_site = _post_form(
        analyst, start, {"csrf_token": analyst_token}, Origin="http://attacker.example"
    )
    assert cross_site.status == 403
    assert (
        stack.call("GET", f"{V2}/funds/{portfolio.small_fund_id}/scoring-jobs", 200) == jobs_before
    )

    reviewer = browser()
    sign_in(reviewer, stack, Role.REVIEWER)
    acme = portfolio.pending["Acme Robotics"]
    forged = _post_form(reviewer, f"/dashboard/reviews/{acme['id']}/decision",
                        {"decision": "approve"})  # fmt: skip
    assert forged.status == 403
    queue = stack.call("GET", f"{V2}/reviews", 200)["items"]
    assert acme["id"] in {score["id"] for score in queue}


def _focused(page: Any) -> dict[str, Any]:
    focused: dict[str, Any] = page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return {tag: e.tagName, id: e.id, text: (e.innerText || e.value || '').trim(),"
        " name: e.getAttribute('name'), outline: s.outlineStyle, width: s.outlineWidth}; }"
    )
    return focused


def _tab_to(page: Any, predicate: Callable[[dict[str, Any]], bool], limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if predicate(_focused(page)):
            return
    raise AssertionError(f"Tab never reached the control; last focus {_focused(page)}")


def test_keyboard_alone_signs_in_opens_a_fund_and_decides_a_review(
    browser: Browser, dashboard_stack: DashboardStack, portfolio: Portfolio, artifacts: Path
) -> None:
    stack = dashboard_stack
    page = browser().new_page()
    page.goto("/dashboard/sign-in")
    shoot(page, artifacts, "00-sign-in")
    assert _focused(page)["id"] == "api-key"  # the form's field has the focus
    page.keyboard.type(stack.keys[Role.REVIEWER].key)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/funds")

    page.keyboard.press("Tab")
    skip = _focused(page)
    assert skip["text"] == "Skip to content"
    assert skip["outline"] != "none"  # the focus is visible
    page.keyboard.press("Enter")
    _tab_to(page, lambda f: f["text"] == "Northwind Growth Fund")
    focused = _focused(page)
    assert focused["outline"] != "none" and focused["width"] != "0px"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/dashboard/funds/{portfolio.big_fund_id}")

    page.goto("/dashboard/reviews")
    delta = portfolio.pending["Delta Cloud"]
    _tab_to(page, lambda f: f["id"] == f"comment-{delta['id']}")
    page.keyboard.type("Above the normal range; checked the inputs")
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Approve"
    page.keyboard.press("Enter")
    expect(page.locator("[role=status]")).to_contain_text("of Delta Cloud")
    current = stack.call("GET", f"{V2}/companies/{delta['company_id']}/scores", 200)["current"]
    assert current["id"] == delta["id"]


def test_parameter_profiles_side_by_side(
    browser: Browser, dashboard_stack: DashboardStack, artifacts: Path
) -> None:
    stack = dashboard_stack
    page = sign_in(browser(), stack, Role.ANALYST)
    page.get_by_role("link", name="Parameter profiles").click()
    page.locator("#left-profile").select_option("v1.0")
    page.locator("#right-profile").select_option("v2.0")
    page.get_by_role("button", name="Compare").click()
    profiles = {p["version"]: p for p in stack.call("GET", f"{V2}/parameters", 200)}
    left, right = flatten(profiles["v1.0"]["parameters"]), flatten(profiles["v2.0"]["parameters"])
    differing = {name for name in set(left) | set(right) if left.get(name) != right.get(name)}
    assert "weights.data_infrastructure" in differing
    expect(page.locator("#p-title")).to_have_text(
        f"{len(differing)} of {len(set(left) | set(right))} parameters differ"
    )
    # The profiles hold more parameters than one page shows: show them all on one page.
    page.locator("#p-size").select_option("100")
    page.locator("#p-table").get_by_role("button", name="Apply").click()
    row = page.locator("#p-table tbody tr", has_text="weights.data_infrastructure")
    expect(row).to_have_class("differs")
    expect(row.locator("td").nth(0)).to_have_text("0.25")
    expect(row.locator("td").nth(1)).to_have_text("0.18")
    shoot(page, artifacts, "09-parameters")

    page.locator("#p-show").select_option("differs")
    page.locator("#p-table").get_by_role("button", name="Apply").click()
    rows = page.locator("#p-table tbody tr")
    expect(rows).to_have_count(min(len(differing), 50))
    for name in page.locator("#p-table tbody th code").all_inner_texts():
        assert name in differing
