"""RFC 9457 problem details for 404, 405, 422, domain errors and unhandled exceptions."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

from orgair_observability import (
    CORRELATION_HEADER,
    BadRequest,
    Conflict,
    CorrelationIdMiddleware,
    NotFound,
    ProblemError,
    install_problem_handlers,
    problem_response,
)
from orgair_observability.problems import PROBLEM_TYPE_BASE, json_pointer

from .conftest import LogLines

MakeClient = Callable[[FastAPI], httpx.AsyncClient]
PROBLEM_JSON = "application/problem+json"
SECRET_INPUT = "sk-live-do-not-echo-this-0123456789"
INTERNAL_MESSAGE = "connection to db.internal:5432 refused for user scoring_rw"


class DimensionScore(BaseModel):
    dimension: str
    score: float = Field(ge=0, le=100)


class ScoresIn(BaseModel):
    scores: list[DimensionScore]


class Credentials(BaseModel):
    api_key: str = Field(pattern=r"^key-")


def build_app(*, debug: bool = False) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app, debug=debug)

    @app.get("/companies/{company_id}")
    async def get_company(company_id: str) -> dict[str, str]:
        raise NotFound("company", company_id)

    @app.post("/companies")
    async def create_company() -> None:
        raise BadRequest("industry '42' does not exist", field="industry_id")

    @app.put("/scores/{score_id}")
    async def put_score(score_id: str) -> None:
        raise Conflict("a score for data_infrastructure already exists")

    @app.get("/quota")
    async def quota() -> None:
        raise ProblemError(
            429,
            "Too Many Requests",
            "60 requests per minute",
            headers={"Retry-After": "17"},
            limit=60,
        )

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(status_code=418, detail="short and stout")

    @app.get("/structured")
    async def structured() -> None:
        raise HTTPException(status_code=400, detail={"reason": "structured detail"})

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError(INTERNAL_MESSAGE)

    @app.post("/assessments/{assessment_id}/scores")
    async def add_scores(assessment_id: int, body: ScoresIn) -> dict[str, int]:
        return {"count": len(body.scores)}

    @app.get("/companies")
    async def list_companies(page: Annotated[int, Query(ge=1)] = 1) -> dict[str, int]:
        return {"page": page}

    @app.post("/credentials")
    async def set_credentials(body: Credentials) -> None:
        return None

    app.add_middleware(CorrelationIdMiddleware)
    return app


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_TYPE_BASE + slug
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert body["correlation_id"] == response.headers[CORRELATION_HEADER]
    return body


async def test_unknown_route_is_a_404_problem(make_client: MakeClient) -> None:
    response = await make_client(build_app()).get(
        "/no/such/route", headers={CORRELATION_HEADER: "problem-404-test"}
    )

    body = assert_problem(response, 404, "not-found")
    assert body["title"] == "Not Found"
    assert body["instance"] == "/no/such/route"
    assert body["correlation_id"] == "problem-404-test"


async def test_wrong_method_is_a_405_problem_keeping_allow(make_client: MakeClient) -> None:
    response = await make_client(build_app()).delete("/quota")

    body = assert_problem(response, 405, "method-not-allowed")
    assert body["title"] == "Method Not Allowed"
    assert response.headers["allow"] == "GET"


async def test_http_exception_keeps_status_and_detail(make_client: MakeClient) -> None:
    response = await make_client(build_app()).get("/teapot")

    body = assert_problem(response, 418, "i-m-a-teapot")
    assert body["detail"] == "short and stout"


async def test_non_string_http_exception_detail_moves_to_context(make_client: MakeClient) -> None:
    response = await make_client(build_app()).get("/structured")

    body = assert_problem(response, 400, "bad-request")
    assert isinstance(body["detail"], str)
    assert body["context"] == {"reason": "structured detail"}


async def test_not_found_factory(make_client: MakeClient) -> None:
    response = await make_client(build_app()).get("/companies/x")

    body = assert_problem(response, 404, "not-found")
    assert body["detail"] == "company 'x' not found"
    assert body["instance"] == "/companies/x"


async def test_bad_request_carries_extensions(make_client: MakeClient) -> None:
    response = await make_client(build_app()).post("/companies")

    body = assert_problem(response, 400, "bad-request")
    assert body["detail"] == "industry '42' does not exist"
    assert body["field"] == "industry_id"


async def test_conflict(make_client: MakeClient) -> None:
    response = await make_client(build_app()).put("/scores/7")

    body = assert_problem(response, 409, "conflict")
    assert body["detail"] == "a score for data_infrastructure already exists"


async def test_problem_error_headers_and_extensions(make_client: MakeClient) -> None:
    response = await make_client(build_app()).get("/quota")

    body = assert_problem(response, 429, "quota-exceeded")
    assert response.headers["retry-after"] == "17"
    assert body["limit"] == 60
    assert body["detail"] == "60 requests per minute"


async def test_unhandled_exception_hides_its_message(
    make_client: MakeClient, log_lines: LogLines
) -> None:
    response = await make_client(build_app(debug=False)).get(
        "/crash", headers={CORRELATION_HEADER: "crash-correlation-1"}
    )

    body = assert_problem(response, 500, "internal")
    assert body["title"] == "Internal Server Error"
    assert body["correlation_id"] == "crash-correlation-1"
    assert "db.internal" not in response.text
    assert "RuntimeError" not in response.text
    assert "traceback" not in body
    # The stack goes to the log instead, tagged with the request's correlation id.
    [logged] = [line for line in log_lines() if line["event"] == "unhandled_exception"]
    assert logged["correlation_id"] == "crash-correlation-1"
    assert INTERNAL_MESSAGE in logged["exception"]
    assert logged["path"] == "/crash"
    [access] = [line for line in log_lines() if line["event"] == "request_failed"]
    assert (access["status"], access["correlation_id"]) == (500, "crash-correlation-1")


async def test_unhandled_exception_shows_its_message_in_debug(make_client: MakeClient) -> None:
    response = await make_client(build_app(debug=True)).get("/crash")

    body = assert_problem(response, 500, "internal")
    assert body["detail"] == f"RuntimeError: {INTERNAL_MESSAGE}"
    assert any("raise RuntimeError" in frame for frame in body["traceback"])


async def test_validation_error_points_into_the_body(make_client: MakeClient) -> None:
    payload = {"scores": [{"dimension": "talent_skills", "score": 140}]}
    response = await make_client(build_app()).post("/assessments/3/scores", json=payload)

    body = assert_problem(response, 422, "validation-error")
    assert body["instance"] == "/assessments/3/scores"
    [error] = body["errors"]
    assert error["pointer"] == "/body/scores/0/score"
    assert error["type"] == "less_than_equal"
    assert "100" in error["detail"]
    assert set(error) == {"pointer", "detail", "type"}


async def test_validation_error_points_at_path_and_query_parameters(
    make_client: MakeClient,
) -> None:
    client = make_client(build_app())
    query = await client.get("/companies", params={"page": "0"})
    path = await client.post("/assessments/not-a-number/scores", json={"scores": []})

    [query_error] = assert_problem(query, 422, "validation-error")["errors"]
    assert query_error["pointer"] == "/query/page"
    [path_error] = assert_problem(path, 422, "validation-error")["errors"]
    assert path_error["pointer"] == "/path/assessment_id"


async def test_missing_body_points_at_body(make_client: MakeClient) -> None:
    response = await make_client(build_app()).post("/assessments/3/scores")

    [error] = assert_problem(response, 422, "validation-error")["errors"]
    assert error["pointer"] == "/body"
    assert error["type"] == "missing"


async def test_validation_error_never_echoes_the_input(make_client: MakeClient) -> None:
    response = await make_client(build_app()).post("/credentials", json={"api_key": SECRET_INPUT})

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["pointer"] == "/body/api_key"
    assert SECRET_INPUT not in response.text


@pytest.mark.parametrize(
    ("location", "pointer"),
    [
        (("body", "scores", 0, "score"), "/body/scores/0/score"),
        (("query", "page"), "/query/page"),
        (("body", "a/b", "m~n"), "/body/a~1b/m~0n"),
        (("body", "~1"), "/body/~01"),
        ((), ""),
    ],
)
def test_json_pointer_escaping(location: tuple[str | int, ...], pointer: str) -> None:
    assert json_pointer(location) == pointer


def test_problem_response_without_a_request() -> None:
    response = problem_response(503, "Service Unavailable", "redis is down", dependency="redis")

    assert response.status_code == 503
    assert response.media_type == PROBLEM_JSON
    body = json.loads(bytes(response.body))
    assert body == {
        "type": PROBLEM_TYPE_BASE + "service-unavailable",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "redis is down",
        "correlation_id": None,
        "dependency": "redis",
    }


def test_extensions_cannot_replace_standard_members() -> None:
    with pytest.raises(ValueError, match="type"):
        problem_response(400, "Bad Request", type="https://elsewhere.example/")


def test_problem_error_type_defaults_from_status_and_can_be_overridden() -> None:
    assert ProblemError(403, "Forbidden").type == PROBLEM_TYPE_BASE + "forbidden"
    assert ProblemError(401, "Unauthorized").type == PROBLEM_TYPE_BASE + "unauthorized"
    custom = ProblemError(400, "Invalid Transition", type_=PROBLEM_TYPE_BASE + "invalid-transition")
    assert custom.type == PROBLEM_TYPE_BASE + "invalid-transition"
    assert str(NotFound("assessment", 12)) == "assessment '12' not found"


async def test_servers_second_report_of_a_logged_exception_is_dropped(
    log_lines: LogLines,
) -> None:
    # Starlette re-raises after the 500 handler so the server can log it; the
    # handler has already logged it with the correlation id, so that copy is dropped.
    transport = httpx.ASGITransport(
        app=build_app()
    )  # raise_app_exceptions=True, as a server sees it
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with pytest.raises(RuntimeError) as raised:
            await client.get("/crash")
    logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=raised.value)
    try:
        raise ValueError("never logged before")
    except ValueError as fresh:
        logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=fresh)

    stacks = [line for line in log_lines() if "exception" in line]
    assert [line["event"] for line in stacks] == [
        "unhandled_exception",
        "Exception in ASGI application",
    ]
    assert "never logged before" in stacks[1]["exception"]
