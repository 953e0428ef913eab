"""`orgair ebitda` and `orgair plan`: JSON lines in, JSON lines out; per-line errors;
readable fatal errors; the review threshold from the settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orgair_cli.main import app
from orgair_config import get_scoring_settings
from orgair_scoring import (
    DIMENSIONS,
    CompanyInputs,
    ScoringParameters,
    builtin_profile,
    derive_profile,
    improvement_plan,
    project_ebitda,
)

V1 = builtin_profile("v1.0")
V2 = builtin_profile("v2.0")
runner = CliRunner()


def projection_line(entry: float, target: float, h_r: float) -> dict[str, float]:
    return {"entry_score": entry, "target_score": target, "h_r_score": h_r}


def plan_line(identifier: str, target: object, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": identifier,
        "sector": "technology",
        "dimensions": dict(zip(DIMENSIONS, (60, 50, 70, 55, 65, 45, 50), strict=True)),
        "talent_concentration": 0.3,
        "market_cap_percentile": 0.6,
        "evidence_count": 5,
        "target_org_air": target,
    }
    return data | changes


def jsonl(*rows: Any) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)


def expected_projection(
    row: dict[str, float], params: ScoringParameters, threshold: float = 10.0
) -> dict[str, Any]:
    return project_ebitda(
        row["entry_score"],
        row["target_score"],
        row["h_r_score"],
        params,
        review_threshold=threshold,
    ).to_json_dict()


def expected_plan(row: dict[str, Any], params: ScoringParameters) -> dict[str, Any]:
    inputs = {key: value for key, value in row.items() if key != "target_org_air"}
    company = CompanyInputs.model_validate(inputs)
    return improvement_plan(company, row["target_org_air"], params).to_json_dict()


def run_orgair(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orgair_cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


# --- in a real process ------------------------------------------------------------------


def test_ebitda_round_trip_with_bad_lines_among_good_ones(
    scoring_env: dict[str, str], tmp_path: Path
) -> None:
    good = [projection_line(45, 75, 80), projection_line(30, 90, 40)]
    below = projection_line(50, 40, 70)
    (tmp_path / "in.jsonl").write_text(jsonl(good[0], "", below, good[1], "[1]"))

    completed = run_orgair("ebitda", "in.jsonl", env=scoring_env, cwd=tmp_path)

    assert completed.returncode == 1
    assert completed.stderr == ""
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[0] == expected_projection(good[0], V2)
    assert lines[0]["base"] == pytest.approx(4.35) and lines[0]["requires_review"] is False
    assert lines[1] == {"line": 3, "error": "target_score: 40.0 is below entry_score 50.0"}
    assert lines[2] == expected_projection(good[1], V2)
    assert lines[2]["risk_adjusted"] == pytest.approx(11.34) and lines[2]["requires_review"]
    assert lines[3] == {"line": 5, "error": "expected a JSON object, got list"}
    assert list(lines[0]) == [
        "delta",
        "conservative",
        "base",
        "optimistic",
        "risk_adjusted",
        "requires_review",
        "parameters_version",
        "value_creation_hash",
    ]


def test_plan_round_trip_with_a_bad_line_among_good_ones(
    scoring_env: dict[str, str], tmp_path: Path
) -> None:
    good = [plan_line("a", 75), plan_line("b", 99, talent_concentration=1.0)]
    (tmp_path / "in.jsonl").write_text(jsonl(good[0], plan_line("c", 120), good[1]))

    completed = run_orgair("plan", "--profile", "v1.0", "in.jsonl", env=scoring_env, cwd=tmp_path)

    assert completed.returncode == 1
    assert completed.stderr == ""
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert lines[0] == expected_plan(good[0], V1)
    assert lines[0]["reachable"] is True and lines[0]["projected_org_air"] >= 75
    assert lines[1] == {"line": 2, "error": "target_org_air: 120.0 is outside [0, 100]"}
    assert lines[2] == expected_plan(good[1], V1)
    assert lines[2]["reachable"] is False
    assert list(lines[0]) == [
        "id",
        "target_org_air",
        "current_org_air",
        "projected_org_air",
        "reachable",
        "investment_usd",
        "dimensions",
        "parameters_version",
        "parameters_hash",
        "value_creation_hash",
    ]
    assert list(lines[0]["dimensions"]) == list(DIMENSIONS)
    assert list(lines[0]["dimensions"]["ai_governance"]) == [
        "current",
        "target",
        "gap",
        "priority",
        "investment_usd",
    ]


# --- in process (CliRunner) --------------------------------------------------------------


def test_the_review_threshold_is_the_setting(
    scoring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    row = projection_line(30, 90, 40)  # risk-adjusted 11.34
    default = runner.invoke(app, ["ebitda"], input=jsonl(row))
    assert json.loads(default.stdout)["requires_review"] is True

    monkeypatch.setenv("HITL_EBITDA_PROJECTION_THRESHOLD", "12")
    get_scoring_settings.cache_clear()  # settings are read once per process
    raised = runner.invoke(app, ["ebitda"], input=jsonl(row))
    assert raised.exit_code == 0
    assert json.loads(raised.stdout) == expected_projection(row, V2, threshold=12)
    assert json.loads(raised.stdout)["requires_review"] is False


def test_params_change_the_value_creation_constants(
    scoring_env: dict[str, str], tmp_path: Path
) -> None:
    overrides = {"value_creation": {"gamma_0": 0.005, "cost_per_point": {"leadership_vision": 9e4}}}
    (tmp_path / "params.json").write_text(json.dumps(overrides))
    custom = derive_profile(V2, overrides)

    projected = runner.invoke(
        app, ["ebitda", "--params", "params.json"], input=jsonl(projection_line(45, 75, 80))
    )
    output = json.loads(projected.stdout)
    # base = 0.005·30² + 1.5 + 0.6 = 6.6
    assert output["base"] == pytest.approx(6.6)
    assert output["parameters_version"] == "v2.0+custom"
    assert output["value_creation_hash"] == custom.value_creation_hash

    planned = runner.invoke(
        app, ["plan", "--params", "params.json"], input=jsonl(plan_line("a", 75))
    )
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout) == expected_plan(plan_line("a", 75), custom)
    assert json.loads(planned.stdout)["parameters_hash"] == V2.parameters_hash


def test_every_kind_of_bad_ebitda_line_is_reported_in_place(scoring_env: dict[str, str]) -> None:
    text = jsonl(
        "{oops",
        {"entry_score": 10, "target_score": 20},
        {"entry_score": "ten", "target_score": 20, "h_r_score": 30},
        projection_line(10, 20, 30) | {"extra": 1},
        projection_line(10, 20, 101),
        projection_line(10, 20, 30),
    )
    result = runner.invoke(app, ["ebitda"], input=text)
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("line") for line in lines[:5]] == [1, 2, 3, 4, 5]
    assert lines[0]["error"].startswith("invalid JSON")
    assert lines[1]["error"] == "h_r_score: Field required"
    assert lines[2]["error"].startswith("entry_score: Input should be a valid number")
    assert lines[3]["error"].startswith("extra: Extra inputs are not permitted")
    assert lines[4]["error"] == "h_r_score: 101.0 is outside [0, 100]"
    assert lines[5] == expected_projection(projection_line(10, 20, 30), V2)


def test_every_kind_of_bad_plan_line_is_reported_in_place(scoring_env: dict[str, str]) -> None:
    without_target = plan_line("x", 70)
    del without_target["target_org_air"]
    text = jsonl(
        without_target,
        plan_line("y", "high"),
        plan_line("y", True),
        plan_line("z", 70, talent_concentration=2),
        plan_line("ok", 70),
    )
    result = runner.invoke(app, ["plan"], input=text)
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0] == {"line": 1, "error": "target_org_air: Field required"}
    assert lines[1] == {"line": 2, "error": "target_org_air: expected a number, got str"}
    assert lines[2] == {"line": 3, "error": "target_org_air: expected a number, got bool"}
    assert lines[3]["error"].startswith("talent_concentration:")
    assert lines[4] == expected_plan(plan_line("ok", 70), V2)


@pytest.mark.parametrize("command", ["ebitda", "plan"])
def test_an_empty_input_gives_nothing(scoring_env: dict[str, str], command: str) -> None:
    result = runner.invoke(app, [command], input="\n\n")
    assert result.exit_code == 0
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "params_text", "message"),
    [
        (["ebitda", "--profile", "v3.0"], None, "orgair ebitda: unknown profile 'v3.0'"),
        (["plan", "--profile", "v3.0"], None, "orgair plan: unknown profile 'v3.0'"),
        (
            ["ebitda", "--params", "params.json"],
            '{"value_creation": {"cost_per_point": {"talent_skills": 0}}}',
            "orgair ebitda: --params params.json: value_creation.cost_per_point.talent_skills:",
        ),
        (
            ["plan", "--params", "params.json"],
            '{"value_creation": {"optimistic_multiplier": 0.5}}',
            "orgair plan: --params params.json: value_creation.optimistic_multiplier:",
        ),
        (
            ["plan", "--params", "params.json"],
            '{"alpha": 0.1, "beta": 0.9}',
            "orgair plan: profile: improvement plans need Org-AI-R to rise with V^R",
        ),
        (["plan", "nowhere.jsonl"], None, "orgair plan: cannot read nowhere.jsonl"),
    ],
)
def test_fatal_errors_are_one_line_and_exit_2(
    scoring_env: dict[str, str],
    tmp_path: Path,
    args: list[str],
    params_text: str | None,
    message: str,
) -> None:
    if params_text is not None:
        (tmp_path / "params.json").write_text(params_text)
    result = runner.invoke(app, args, input=jsonl(projection_line(10, 20, 30)))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(message)


def test_a_bad_threshold_setting_is_one_line_and_exit_2(
    scoring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HITL_EBITDA_PROJECTION_THRESHOLD", "99")
    result = runner.invoke(
        app, ["ebitda", "--profile", "v1.0"], input=jsonl(projection_line(1, 2, 3))
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "orgair ebitda: configuration error: HITL_EBITDA_PROJECTION_THRESHOLD:"
    )


def test_many_plan_lines_keep_their_order(scoring_env: dict[str, str]) -> None:
    # More lines than one batch, with bad lines scattered through them.
    rows: list[Any] = []
    for index in range(2500):
        rows.append("oops" if index % 777 == 0 else plan_line(f"c{index}", 40 + index % 55))
    result = runner.invoke(app, ["plan"], input=jsonl(*rows))
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2500
    for index, line in enumerate(lines):
        if index % 777 == 0:
            assert line["line"] == index + 1
        else:
            assert line["id"] == f"c{index}"
    assert lines[2499] == expected_plan(rows[2499], V2)
