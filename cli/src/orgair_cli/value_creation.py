"""`orgair ebitda` and `orgair plan`: the value-creation engine on JSON lines, without the API.

- `orgair ebitda`: each line `{"entry_score", "target_score", "h_r_score"}` → one line
  with `delta`, `conservative`, `base`, `optimistic`, `risk_adjusted`, `requires_review`
  (against the `HITL_EBITDA_PROJECTION_THRESHOLD` setting) and the profile's name and
  value-creation hash.
- `orgair plan`: each line an `orgair score` input plus `target_org_air` → the least-cost
  improvement plan: `dimensions` {name: {current, target, gap, priority, investment_usd}},
  `investment_usd`, `projected_org_air`, `reachable`, with provenance.

Both have the error-per-line behaviour of `orgair_cli.jsonlines`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import typer
from pydantic import BaseModel, ConfigDict, ValidationError

from orgair_cli.jsonlines import (
    InputArgument,
    LineCommand,
    ParamsOption,
    ProfileOption,
    fail,
    parameters,
    settings_or_exit,
    validation_message,
)
from orgair_cli.score import parse_company
from orgair_scoring import (
    CompanyInputs,
    ValueCreationInputError,
    check_plannable,
    check_projection_inputs,
    check_score,
    improvement_plans,
    project_ebitda_batch,
)

EBITDA_COMMAND = "orgair ebitda"
PLAN_COMMAND = "orgair plan"


def register(app: typer.Typer) -> None:
    """Add `ebitda` and `plan` to the `orgair` command."""
    app.command(
        "ebitda",
        help="EBITDA impact projections from JSON lines "
        '({"entry_score", "target_score", "h_r_score"} per line).',
    )(ebitda)
    app.command(
        "plan",
        help="Least-cost improvement plans from JSON lines "
        "(an `orgair score` line plus target_org_air).",
    )(plan)


class EbitdaLine(BaseModel):
    """One `orgair ebitda` input line (ranges are the engine's to check)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    entry_score: float
    target_score: float
    h_r_score: float


def ebitda(
    input_path: InputArgument = "-",
    profile: ProfileOption = None,
    params_file: ParamsOption = None,
) -> None:
    """Project EBITDA impact from JSON lines; one projection JSON line per input line."""
    params = parameters(EBITDA_COMMAND, profile, params_file)
    threshold = settings_or_exit(EBITDA_COMMAND).HITL_EBITDA_PROJECTION_THRESHOLD

    def evaluate(lines: Sequence[EbitdaLine]) -> list[dict[str, Any]]:
        columns = np.array(
            [(line.entry_score, line.target_score, line.h_r_score) for line in lines],
            dtype=np.float64,
        ).reshape(-1, 3)
        return project_ebitda_batch(
            columns[:, 0], columns[:, 1], columns[:, 2], params, review_threshold=threshold
        ).to_dicts()

    LineCommand(EBITDA_COMMAND, "projecting", parse_projection, evaluate).run(input_path)


def parse_projection(data: dict[str, Any]) -> EbitdaLine | str:
    try:
        line = EbitdaLine.model_validate(data)
        check_projection_inputs(line.entry_score, line.target_score, line.h_r_score)
    except ValidationError as exc:
        return validation_message(exc)
    except ValueCreationInputError as exc:
        return str(exc)
    return line


def plan(
    input_path: InputArgument = "-",
    profile: ProfileOption = None,
    params_file: ParamsOption = None,
) -> None:
    """Plan improvements from JSON lines; one plan JSON line per company."""
    params = parameters(PLAN_COMMAND, profile, params_file)
    try:
        check_plannable(params)
    except ValueCreationInputError as exc:
        fail(PLAN_COMMAND, str(exc))

    def evaluate(lines: Sequence[tuple[CompanyInputs, float]]) -> list[dict[str, Any]]:
        companies = [company for company, _ in lines]
        targets = np.array([target for _, target in lines], dtype=np.float64)
        return improvement_plans(companies, targets, params).to_dicts()

    LineCommand(PLAN_COMMAND, "planning", parse_plan_request, evaluate).run(input_path)


def parse_plan_request(data: dict[str, Any]) -> tuple[CompanyInputs, float] | str:
    """(company, target) from an `orgair score` object with `target_org_air` added."""
    inputs = dict(data)
    if "target_org_air" not in inputs:
        return "target_org_air: Field required"
    target = inputs.pop("target_org_air")
    if isinstance(target, bool) or not isinstance(target, int | float):
        return f"target_org_air: expected a number, got {type(target).__name__}"
    try:
        check_score("target_org_air", float(target))
    except ValueCreationInputError as exc:
        return str(exc)
    company = parse_company(inputs)
    if isinstance(company, str):
        return company
    return company, float(target)
