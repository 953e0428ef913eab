"""What the OpenAPI documents say about errors, so that they say what is served.

Every error is an RFC 9457 problem document, ``application/problem+json``. FastAPI
documents its validation errors as ``422 application/json`` with a body that is not
ours, and knows nothing of the problems a use case answers with. So:

* a route lists the problems it can answer with, `responses=problem_responses(404, 409)`,
  each documented as ``application/problem+json`` with the `Problem` schema;
* `document_problems(document)` rewrites every ``422`` into the `ValidationProblem`
  it really is (`errors`, each with a JSON pointer), documents the ``400`` FastAPI
  answers for a body it cannot decode, and adds the schemas.

Both the scoring document the gateway publishes and the gateway's own endpoints go
through `document_problems`; a contract test (schemathesis, tests/contract) fails
on any status or body the document does not describe.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from orgair_observability.problems import PROBLEM_MEDIA_TYPE

__all__ = [
    "PROBLEM_SCHEMAS",
    "Problem",
    "ValidationIssue",
    "ValidationProblem",
    "document_problems",
    "problem_content",
    "problem_responses",
]

_SCHEMA_REF = "#/components/schemas/{model}"


class Problem(BaseModel):
    """RFC 9457 problem details; extension members carry the refusal's facts."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="URI naming the kind of problem")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The request path")
    correlation_id: str | None = Field(default=None, description="Quote it when reporting")


class ValidationIssue(BaseModel):
    pointer: str = Field(description="RFC 6901 JSON Pointer into the request: /body/name")
    detail: str
    type: str


class ValidationProblem(Problem):
    """A 422: one entry in `errors` per invalid value."""

    model_config = ConfigDict(extra="allow", title="ValidationProblem")

    errors: list[ValidationIssue]


def _component_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (Problem, ValidationIssue, ValidationProblem):
        schema = model.model_json_schema(ref_template=_SCHEMA_REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


PROBLEM_SCHEMAS: dict[str, Any] = _component_schemas()
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def problem_content(schema: str = "Problem") -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _SCHEMA_REF.format(model=schema)}}}


def _either_validation_problem() -> dict[str, Any]:
    refs = [{"$ref": _SCHEMA_REF.format(model=name)} for name in ("ValidationProblem", "Problem")]
    return {PROBLEM_MEDIA_TYPE: {"schema": {"anyOf": refs}}}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can answer with these problem statuses.

    ``422`` here means the use case itself can refuse well-formed input (an unknown
    parameter profile, say): documented as either a validation problem or a plain one.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        if status == HTTPStatus.UNPROCESSABLE_ENTITY:
            responses[status] = {
                "description": "Invalid request values (`errors`), or input the service "
                "cannot act on",
                "content": _either_validation_problem(),
            }
        else:
            responses[status] = {"description": _phrase(status), "content": problem_content()}
    return responses


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (an OpenAPI dict, changed in place) with every 422 documented as the
    `ValidationProblem` the problem handlers send, and the problem schemas added."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation and "400" not in responses:
                # FastAPI answers 400 for a body it cannot read at all (not UTF-8 JSON,
                # a broken form).
                responses["400"] = {
                    "description": "The body cannot be read",
                    "content": problem_content(),
                }
            for status, response in responses.items():
                # An error a route names by its description alone is a problem too.
                if str(status).isdigit() and int(status) >= 400 and "content" not in response:
                    response["content"] = (
                        _either_validation_problem()
                        if int(status) == HTTPStatus.UNPROCESSABLE_ENTITY
                        else problem_content()
                    )
            validation = responses.get("422")
            # FastAPI's own (a route that declared its 422 says what it is already).
            if validation is not None and "HTTPValidationError" in str(validation):
                validation["content"] = problem_content("ValidationProblem")
                validation["description"] = "Invalid request values; see `errors`."
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    # FastAPI's own validation schemas were referenced by those 422s alone.
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(PROBLEM_SCHEMAS)
    return document
