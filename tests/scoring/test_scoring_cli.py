"""`orgair score`: JSON lines in, JSON lines out; per-line errors; readable fatal errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orgair_cli.main import app
from orgair_scoring import (
    DIMENSIONS,
    CompanyInputs,
    ScoringParameters,
    builtin_profile,
    derive_profile,
    score_company,
)

V1 = builtin_profile("v1.0")
V2 = builtin_profile("v2.0")


def company(identifier: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": identifier,
        "sector": "technology",
        "dimensions": dict(zip(DIMENSIONS, (80, 60, 70, 50, 90, 40, 60), strict=True)),
        "talent_concentration": 0.4,
        "market_cap_percentile": 0.7,
        "evidence_count": 5,
    }
    return data | changes


def jsonl(*rows: Any) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)


def expected(row: dict[str, Any], params: ScoringParameters) -> dict[str, Any]:
    return score_company(CompanyInputs.model_validate(row), params).to_json_dict()


def run_orgair(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command in its own process, as a user or a script would run it."""
    return subprocess.run(
        [sys.executable, "-m", "orgair_cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


runner = CliRunner()


# --- in a real process ------------------------------------------------------------------


def test_round_trip_with_a_bad_line_among_good_ones(
    scoring_env: dict[str, str], tmp_path: Path
) -> None:
    good = [
        company("a"),
        company("b", sector="retail", timing_factor=1.5, alignment=0.8),
        company("c", sector="Mining", h_r_base=55, evidence_count=0),
    ]
    bad = company("d", talent_concentration=1.5)
    (tmp_path / "in.jsonl").write_text(jsonl(good[0], "", bad, good[1], "   ", good[2]))

    completed = run_orgair("score", "in.jsonl", env=scoring_env, cwd=tmp_path)

    assert completed.returncode == 1
    assert completed.stderr == ""
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert len(lines) == 4
    # Default profile = PARAM_VERSION = v2.0; output order = input order.
    assert lines[0] == expected(good[0], V2)
    assert lines[1]["line"] == 3
    assert "talent_concentration" in lines[1]["error"]
    assert set(lines[1]) == {"line", "error"}
    assert lines[2] == expected(good[1], V2)
    assert lines[3] == expected(good[2], V2)
    assert list(lines[0]) == [
        "id",
        "weighted_mean",
        "cv",
        "vr",
        "position_factor",
        "hr",
        "alignment",
        "timing_factor",
        "synergy",
        "org_air",
        "ci",
        "parameters_version",
        "parameters_hash",
    ]
    assert list(lines[0]["ci"]) == ["vr", "hr", "synergy", "org_air"]
    assert all(len(bounds) == 2 for bounds in lines[0]["ci"].values())


def test_bad_params_file_is_one_line_and_exit_2(
    scoring_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "params.json").write_text('{"alpha": 1.7, "weights": {"culture_change": 0.3}}')
    (tmp_path / "in.jsonl").write_text(jsonl(company("a")))

    completed = run_orgair(
        "score", "--params", "params.json", "in.jsonl", env=scoring_env, cwd=tmp_path
    )

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.startswith("orgair score: --params params.json: ")
    assert "alpha" in completed.stderr
    assert "weights: must sum to 1" in completed.stderr
    assert "Traceback" not in completed.stderr


# --- in process (CliRunner) --------------------------------------------------------------


def test_stdin_and_partial_params(scoring_env: dict[str, str], tmp_path: Path) -> None:
    overrides = {"alpha": 0.65, "sectors": {"technology": {"timing": 1.1}}}
    (tmp_path / "params.json").write_text(json.dumps(overrides))
    row = company("a")

    result = runner.invoke(app, ["score", "--params", "params.json", "-"], input=jsonl(row))

    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    custom = derive_profile(V2, overrides)
    assert output == expected(row, custom)
    assert output["parameters_version"] == "v2.0+custom"
    assert output["parameters_hash"] == custom.parameters_hash
    assert output["timing_factor"] == 1.1


def test_a_full_params_file_names_its_own_profile(
    scoring_env: dict[str, str], tmp_path: Path
) -> None:
    full = V1.model_dump(mode="json") | {"version": "acme-2026"}
    (tmp_path / "params.json").write_text(json.dumps(full))

    result = runner.invoke(app, ["score", "--params", "params.json"], input=jsonl(company("a")))

    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["parameters_version"] == "acme-2026"
    assert output["parameters_hash"] == V1.parameters_hash
    assert output["org_air"] == expected(company("a"), V1)["org_air"]


def test_profile_option_and_param_version_setting(
    scoring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    row = jsonl(company("a"))
    explicit = runner.invoke(app, ["score", "--profile", "v1.0"], input=row)
    assert json.loads(explicit.stdout)["parameters_version"] == "v1.0"

    monkeypatch.setenv("PARAM_VERSION", "v1.0")
    from_setting = runner.invoke(app, ["score"], input=row)
    assert json.loads(from_setting.stdout) == expected(company("a"), V1)


def test_v2_profile_follows_the_weight_settings(
    scoring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("W_DATA_INFRA", "0.20")
    monkeypatch.setenv("W_CULTURE", "0.08")
    result = runner.invoke(app, ["score", "--profile", "v2.0"], input=jsonl(company("a")))
    output = json.loads(result.stdout)
    assert output["parameters_version"] == "v2.0"
    assert output["parameters_hash"] != V2.parameters_hash


def test_every_kind_of_bad_line_is_reported_in_place(scoring_env: dict[str, str]) -> None:
    missing_dimension = company("x")
    del missing_dimension["dimensions"]["culture_change"]
    text = jsonl(
        "{not json",
        "[1, 2]",
        missing_dimension,
        company("y", evidence_count=-1),
        company("z"),
    )

    result = runner.invoke(app, ["score"], input=text)

    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("line") for line in lines[:4]] == [1, 2, 3, 4]
    assert lines[0]["error"].startswith("invalid JSON")
    assert lines[1]["error"] == "expected a JSON object, got list"
    assert "missing dimension(s) culture_change" in lines[2]["error"]
    assert lines[3]["error"].startswith("evidence_count:")
    assert lines[4]["id"] == "z"


def test_an_empty_input_scores_nothing(scoring_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["score"], input="\n\n")
    assert result.exit_code == 0
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "params_text", "message"),
    [
        (["--profile", "v3.0"], None, "unknown profile 'v3.0' (choose from v1.0, v2.0)"),
        (["--params", "params.json"], "{oops", "--params params.json is not valid JSON"),
        (["--params", "params.json"], "[1]", "--params params.json must hold a JSON object"),
        (["--params", "missing.json"], None, "cannot read --params missing.json"),
        (["--params", "params.json"], '{"timing_bounds": [1.2, 0.8]}', "timing_bounds"),
        (["nowhere.jsonl"], None, "cannot read nowhere.jsonl"),
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

    result = runner.invoke(app, ["score", *args], input=jsonl(company("a")))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("orgair score: ")
    assert message in result.stderr


def test_a_bad_setting_is_one_line_and_exit_2(
    scoring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("W_CULTURE", "0.9")
    result = runner.invoke(app, ["score"], input=jsonl(company("a")))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("orgair score: configuration error:")


def test_v1_needs_no_settings(scoring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # v1.0 is fixed by CS1, so a broken W_* setting does not stop it.
    monkeypatch.setenv("W_CULTURE", "0.9")
    result = runner.invoke(app, ["score", "--profile", "v1.0"], input=jsonl(company("a")))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["parameters_hash"] == V1.parameters_hash


def test_many_lines_keep_their_order(scoring_env: dict[str, str]) -> None:
    # More lines than one scoring batch, with bad lines scattered through them.
    rows: list[Any] = []
    for index in range(5000):
        rows.append("oops" if index % 1234 == 0 else company(f"c{index}", evidence_count=index))
    result = runner.invoke(app, ["score"], input=jsonl(*rows))
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5000
    for index, line in enumerate(lines):
        if index % 1234 == 0:
            assert line["line"] == index + 1
        else:
            assert line["id"] == f"c{index}"
    assert lines[4999] == expected(rows[4999], V2)
