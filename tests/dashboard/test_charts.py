"""The inline SVG charts and the numbers they are drawn from: well-formed, escaped, exact."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from markupsafe import Markup

from orgair_gateway.dashboard.charts import (
    HistoryPoint,
    QuartileRow,
    dimension_chart,
    ebitda_scenarios,
    history_chart,
    quartile_chart,
    scenario_chart,
    share_chart,
)
from orgair_gateway.dashboard.labels import label
from orgair_gateway.dashboard.render import number

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & co'


def parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup)
    return ET.fromstring(str(svg))


def test_every_chart_is_well_formed_and_escapes_its_text() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    charts = [
        quartile_chart([QuartileRow(HOSTILE, {"Q1": 3, "Q3": 1}, 2)]),
        share_chart([(HOSTILE, 0.4, 3)]),
        dimension_chart([(HOSTILE, 50.0, 60.0)]),
        history_chart([HistoryPoint(now, 50, 40, 60, HOSTILE)]),
        scenario_chart([(HOSTILE, 1.0), ("base", 2.0)], "plan"),
    ]
    for svg in charts:
        root = parse(svg)
        assert root.get("role") == "img"
        assert root.find(f"{SVG}title") is not None
        assert "<script>" not in str(svg)
        assert all(element.tag != f"{SVG}script" for element in root.iter())


def test_the_quartile_chart_stacks_each_sector_to_its_member_count() -> None:
    root = parse(quartile_chart([QuartileRow("technology", {"Q1": 3, "Q2": 1, "Q4": 4}, 2)]))
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [r.get("class") for r in bars] == ["q1", "q2", "q4", "unscored"]
    widths = [float(r.get("width") or 0) for r in bars]
    assert abs(sum(widths) - 450) < 0.5  # 100 % of the bar
    assert abs(widths[0] / sum(widths) - 0.3) < 0.01
    assert "technology: Q1 3, Q2 1, Q3 0, Q4 4, unscored 2" in str(
        getattr(root.find(f"{SVG}desc"), "text", "")
    )


def test_the_history_band_covers_each_interval() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    points = [HistoryPoint(start + timedelta(days=30 * i), 50 + i, 40 + i, 60 + i, "approved")
              for i in range(4)]  # fmt: skip
    root = parse(history_chart(points))
    assert len(list(root.iter(f"{SVG}circle"))) == 4
    polygon = next(root.iter(f"{SVG}polygon"))
    assert len(str(polygon.get("points")).split()) == 8  # upper and lower edge
    labels = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("2026-")]
    assert labels[0] == "2026-01-01" and labels[-1] == "2026-04-01"


def test_labels_and_numbers_read_as_people_write_them() -> None:
    assert label("ai_governance") == "AI governance"
    assert label("sector_hhi") == "Sector HHI"
    assert number(0.25) == "0.25" and number(1.0) == "1" and number([0.8, 1.2]) == "0.8, 1.2"


def test_ebitda_scenarios_are_read_in_drawing_order_and_absent_ones_left_out() -> None:
    projection = {"optimistic": 6.09, "base": 4.35, "conservative": 3.045,
                  "risk_adjusted": 4.35, "delta": 15.0, "requires_review": False}  # fmt: skip
    assert ebitda_scenarios(projection) == [("conservative", 3.045), ("base", 4.35),
                                            ("optimistic", 6.09), ("risk_adjusted", 4.35)]  # fmt: skip
    roll_up = {"ebitda_base_pct": 2.5, "ebitda_risk_adjusted_pct": None, "investment_usd": 1e6}
    assert ebitda_scenarios(roll_up, "ebitda_{}_pct") == [("base", 2.5)]
    assert ebitda_scenarios({"base": True, "optimistic": "7"}) == []
    root = parse(scenario_chart(ebitda_scenarios(projection), "plan-ebitda"))
    assert len(list(root.iter(f"{SVG}rect"))) == 4
