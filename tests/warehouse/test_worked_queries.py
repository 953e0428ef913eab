"""The README's worked queries, run against the emulator after an export, give the numbers
the API gives: the fund summary's Fund-AI-R, the review decision, the scored inputs."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from orgair_database import Database
from tests.api_v2.helpers import V2
from tests.conftest import REPO_ROOT
from tests.warehouse.conftest import ExporterFactory
from tests.warehouse.portfolio import Portfolio


def readme_queries() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("## Data engineering: Snowflake") :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def run(warehouse: Engine, sql: str) -> list[dict[str, object]]:
    with warehouse.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(sql))]


@pytest.fixture
def exported(portfolio: Portfolio, source: Database, exporter_for: ExporterFactory) -> Portfolio:
    assert exporter_for(source.engine).run().complete
    return portfolio


def test_the_readme_has_the_three_worked_queries() -> None:
    assert len(readme_queries()) == 3


def test_fund_ai_r_over_time_ends_at_the_fund_summary(
    client: TestClient, exported: Portfolio, warehouse: Engine
) -> None:
    fund_air_query = readme_queries()[0]
    series = run(warehouse, fund_air_query)
    assert series and {row["fund"] for row in series} == {"Growth Fund I"}
    summary = client.get(f"{V2}/funds/{exported.fund_id}/summary").json()
    latest = series[-1]
    assert latest["scored_members"] == summary["scored_count"] == 2
    assert float(str(latest["fund_ai_r"])) == pytest.approx(summary["fund_air"], abs=1e-6)


def test_score_changes_that_went_to_review_and_their_decisions(
    exported: Portfolio, warehouse: Engine
) -> None:
    [reviewed] = run(warehouse, readme_queries()[1])
    assert reviewed["company"] == "Alpha Industrial"
    assert reviewed["review_status"] == "rejected" and reviewed["decision"] == "reject"
    assert reviewed["comment"] == "evidence isn't there yet"
    assert "above the normal range" in str(reviewed["first_reason"])
    change = float(str(reviewed["change"]))
    assert change == pytest.approx(
        float(str(reviewed["org_air"])) - float(str(reviewed["previous_org_air"]))
    )
    assert change > 15  # the review threshold


def test_dimension_trends_per_sector(exported: Portfolio, warehouse: Engine) -> None:
    rows = run(warehouse, readme_queries()[2])
    means = {(row["sector"], row["dimension"]): float(str(row["mean_score"])) for row in rows}
    assert len(means) == 14  # two sectors with approved scores, seven dimensions each
    # The rejected 97-point score never counted: only the approved ones are averaged.
    assert all(value == 70.0 for (sector, _), value in means.items() if sector == "manufacturing")
    assert all(value == 62.5 for (sector, _), value in means.items() if sector == "technology")
