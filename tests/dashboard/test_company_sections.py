"""A company's plans, justifications and evidence on its page: tables that sort, filter
and page, holding what the API answers to the same key (real stack, httpx as a browser).

Each test builds its own company, so the shared portfolio stays as the browser tests
expect it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from orgair_auth import Role
from tests.dashboard.session_client import signed_in
from tests.dashboard.stack import V2, DashboardStack

pytestmark = pytest.mark.slow

_ROW = re.compile(r"<tr>(.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def section(html: str, table: str) -> str:
    start = html.index(f'id="{table}-table"')
    return html[start : html.index("</section>", start)]


def rows(html: str, table: str) -> list[list[str]]:
    """The text of each cell of each body row of a table section."""
    part = section(html, table)
    body = part[part.index("<tbody>") : part.index("</tbody>")]
    found = []
    for row in _ROW.findall(body):
        cells = [" ".join(_TAG.sub(" ", cell).split()) for cell in _CELL.findall(row)]
        if cells and 'class="empty"' not in row:
            found.append(cells)
    return found


@pytest.fixture
def analyst(dashboard_stack: DashboardStack) -> Iterator[httpx.Client]:
    with signed_in(dashboard_stack.gateway, dashboard_stack.keys[Role.ANALYST].key) as client:
        yield client


def note(stack: DashboardStack, company_id: str, title: str, text: str, *dims: str) -> Any:
    body = {"kind": "note", "title": title, "text": text, "dimensions": list(dims)}
    return stack.call("POST", f"{V2}/companies/{company_id}/evidence", 201, json=body)


def test_evidence_is_searched_by_the_api_and_sorted_filtered_and_paged_here(
    dashboard_stack: DashboardStack, analyst: httpx.Client
) -> None:
    stack = dashboard_stack
    company = stack.company("Evidence Works", "technology")
    stack.scored(company["id"], 60)
    cid = company["id"]
    note(stack, cid, "Beta governance board", "The board approved an AI policy.", "ai_governance")
    note(stack, cid, "Alpha data platform", "We run dbt on Snowflake daily.", "data_infrastructure")
    note(stack, cid, "Gamma dbt rollout", "dbt models for every team; dbt tests in CI.",
         "data_infrastructure", "technology_stack")  # fmt: skip
    page = f"/dashboard/companies/{cid}"

    newest_first = rows(analyst.get(page).text, "e")
    assert [r[0] for r in newest_first] == [
        "Gamma dbt rollout", "Alpha data platform", "Beta governance board"
    ]  # fmt: skip
    by_title = rows(analyst.get(page, params={"e_sort": "title", "e_dir": "asc"}).text, "e")
    assert [r[0] for r in by_title] == sorted(r[0] for r in newest_first)
    governance = rows(analyst.get(page, params={"e_dimension": "ai_governance"}).text, "e")
    assert [r[0] for r in governance] == ["Beta governance board"]

    # A search is the API's: its hits, ranked by its relevance, with the matching passage.
    searched = analyst.get(page, params={"e_q": "dbt"}).text
    api = stack.call("GET", f"{V2}/companies/{cid}/evidence", 200, params={"q": "dbt"})
    ranked = sorted(api["items"], key=lambda item: -item["match"]["relevance"])
    assert [r[0].split(" “")[0] for r in rows(searched, "e")] == [i["title"] for i in ranked]
    assert {r[0].split(" “")[0] for r in rows(searched, "e")} == {
        "Alpha data platform", "Gamma dbt rollout"
    }  # fmt: skip
    assert 'aria-sort="descending"' in section(searched, "e")  # the relevance column

    paged = analyst.get(page, params={"e_size": "10", "e_sort": "title", "e_dir": "desc"}).text
    assert "Rows 1\u20133 of 3" in section(paged, "e")


def test_evidence_pages_through_the_api(
    dashboard_stack: DashboardStack, analyst: httpx.Client
) -> None:
    stack = dashboard_stack
    company = stack.company("Many Documents", "technology")
    memos = 23
    for index in range(memos):
        note(stack, company["id"], f"Memo {index:02d}", f"Memo number {index}.", "culture_change")
    page = f"/dashboard/companies/{company['id']}"
    newest = [f"Memo {index:02d}" for index in reversed(range(memos))]

    first = analyst.get(page).text
    assert [r[0] for r in rows(first, "e")] == newest[:10]
    assert f"Rows 1\u201310 of {memos}" in section(first, "e")
    third = analyst.get(page, params={"e_page": "3"}).text
    assert [r[0] for r in rows(third, "e")] == newest[20:]
    oldest_first = analyst.get(page, params={"e_sort": "evidence_date", "e_dir": "asc"}).text
    assert [r[0] for r in rows(oldest_first, "e")] == newest[::-1][:10]
    by_title = analyst.get(page, params={"e_sort": "title", "e_dir": "desc", "e_page": "2"}).text
    assert [r[0] for r in rows(by_title, "e")] == sorted(newest, reverse=True)[10:20]
    # No score yet: no dimension to filter by, no assessment to justify.
    assert 'name="e_dimension"' not in first
    assert "None for the current assessment." in section(first, "u")


def test_plans_sort_by_their_ebitda_and_filter_by_review(
    dashboard_stack: DashboardStack, analyst: httpx.Client
) -> None:
    stack = dashboard_stack
    company = stack.company("Plan Makers", "manufacturing")
    score = stack.scored(company["id"], 55)
    assert score["review_status"] == "auto_approved", score
    plans_path = f"{V2}/companies/{company['id']}/value-creation-plans"
    made = [stack.call("POST", plans_path, 201, json={"target_org_air": target})
            for target in (65.0, 80.0, 70.0)]  # fmt: skip
    page = f"/dashboard/companies/{company['id']}"

    html = analyst.get(page).text
    newest_first = rows(html, "p")
    assert [r[3] for r in newest_first] == ["70.0", "80.0", "65.0"]  # the Target column
    newest = made[-1]["ebitda"]
    assert newest_first[0][5] == f"{newest['risk_adjusted']:.2f}"
    assert 'aria-labelledby="plan-ebitda' in section(html, "p")  # its scenarios, drawn

    by_ebitda = rows(analyst.get(page, params={"p_sort": "ebitda_risk_adjusted",
                                               "p_dir": "desc"}).text, "p")  # fmt: skip
    expected = sorted(made, key=lambda plan: -plan["ebitda"]["risk_adjusted"])
    assert [r[5] for r in by_ebitda] == [f"{p['ebitda']['risk_adjusted']:.2f}" for p in expected]

    assert {plan["review_status"] for plan in made} == {"auto_approved"}  # small uplifts
    for status in ("auto_approved", "pending_review"):
        filtered = rows(analyst.get(page, params={"p_status": status}).text, "p")
        assert len(filtered) == sum(plan["review_status"] == status for plan in made)
    second_page = analyst.get(page, params={"p_size": "10", "p_page": "2"}).text
    assert "Rows 1\u20133 of 3" in section(second_page, "p")  # past the end: the last page

    # The fund's roll-up of the approved plans, as the summary reports it.
    fund = stack.fund("Plan Makers Fund", [{"company_id": company["id"], "ev_usd": 5e8}])
    roll_up = stack.call("GET", f"{V2}/funds/{fund['id']}/summary", 200)["value_creation"]
    fund_page = analyst.get(f"/dashboard/funds/{fund['id']}").text
    value = fund_page[fund_page.index('id="value-title"') :]
    value = value[: value.index("</section>")]
    assert roll_up["members_with_plans"] == 1  # the latest approved plan counts
    assert "<dd>1 of 1</dd>" in value
    assert f"<dd>{roll_up['ebitda_risk_adjusted_pct']:.2f} pp</dd>" in value
    assert 'aria-labelledby="fund-ebitda' in value
