"""The domain's refusals become problem details with the status their kind means."""

from __future__ import annotations

import pytest

from orgair_domain.errors import (
    Conflict,
    ContentTooLarge,
    DomainError,
    InvalidInput,
    NotFound,
    Unavailable,
    Unprocessable,
    UnsupportedContent,
)
from orgair_scoring_api.problems import problem_of


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (NotFound("company", "c1"), 404, "Not Found"),
        (InvalidInput("unknown industry"), 400, "Bad Request"),
        (Conflict("already decided"), 409, "Conflict"),
        (Unprocessable("Assessment incomplete", "cannot score"), 422, "Assessment incomplete"),
        (Unavailable("Job queue unavailable", "retry"), 503, "Job queue unavailable"),
        (ContentTooLarge("too big", max_bytes=10), 413, "Content Too Large"),
        (UnsupportedContent("a PNG image"), 415, "Unsupported Media Type"),
    ],
)
def test_each_kind_has_its_status(error: DomainError, status: int, title: str) -> None:
    problem = problem_of(error)
    assert (problem.status, problem.title, problem.detail) == (status, title, error.detail)
    assert problem.headers == {}


def test_facts_become_extension_members() -> None:
    error = InvalidInput(
        "bad", current_status="draft", errors=[{"pointer": "/body/x", "detail": "no"}]
    )
    assert problem_of(error).extensions == {
        "current_status": "draft",
        "errors": [{"pointer": "/body/x", "detail": "no"}],
    }


def test_a_code_names_the_problem_type() -> None:
    coded = problem_of(Unprocessable("PDF encrypted", "no", code="evidence-encrypted"))
    assert coded.type == "https://errors.pe-orgair.example/evidence-encrypted"
    assert "code" not in coded.extensions
    assert problem_of(Unprocessable("t", "d")).type.endswith("/validation-error")
    assert problem_of(ContentTooLarge("big", max_bytes=3)).extensions == {"max_bytes": 3}


def test_unavailable_says_when_to_retry() -> None:
    problem = problem_of(Unavailable("Queue down", "later", retry_after_seconds=5, job_id="j"))
    assert problem.headers == {"Retry-After": "5"}
    assert problem.extensions == {"job_id": "j"}


def test_not_found_names_what_is_missing() -> None:
    assert problem_of(NotFound("fund", 7)).detail == "fund '7' not found"


def test_an_unmapped_exception_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        problem_of(DomainError("no kind"))
    with pytest.raises(TypeError):
        problem_of(ValueError("not a domain error"))
