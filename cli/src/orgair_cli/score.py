"""`orgair score`: Org-AI-R for companies given as JSON lines, without the API.

Reads one `CompanyInputs` JSON object per line (file or stdin) and writes one
`ScoreResult` JSON object per line to stdout, in input order, with the error-per-line
behaviour of `orgair_cli.jsonlines`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import typer
from pydantic import ValidationError

from orgair_cli.jsonlines import (
    InputArgument,
    LineCommand,
    ParamsOption,
    ProfileOption,
    parameters,
    validation_message,
)
from orgair_scoring import CompanyInputs, score_batch

COMMAND = "orgair score"


def register(app: typer.Typer) -> None:
    """Add `score` to the `orgair` command."""
    app.command("score", help="Score companies from JSON lines (one CompanyInputs per line).")(
        score
    )


def score(
    input_path: InputArgument = "-",
    profile: ProfileOption = None,
    params_file: ParamsOption = None,
) -> None:
    """Score companies from JSON lines; one ScoreResult JSON line per company on stdout."""
    params = parameters(COMMAND, profile, params_file)

    def evaluate(companies: Sequence[CompanyInputs]) -> list[dict[str, Any]]:
        return score_batch(list(companies), params).to_dicts()

    LineCommand(COMMAND, "scoring", parse_company, evaluate).run(input_path)


def parse_company(data: dict[str, Any]) -> CompanyInputs | str:
    """A `CompanyInputs`, or a one-line reason the object is not one."""
    try:
        return CompanyInputs.model_validate(data)
    except ValidationError as exc:
        return validation_message(exc)
