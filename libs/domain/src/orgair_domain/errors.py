"""Why a use case refused, free of any transport.

A use case says what kind of refusal it is; each caller decides how to say it: the
scoring API answers each kind with its status and an RFC 9457 problem body
(`orgair_scoring_api.problems`), a command prints one line and exits non-zero.

- `NotFound`: the thing asked for does not exist (or was deleted).
- `InvalidInput`: the input breaks a rule of the domain (an unknown reference, a
  dimension listed twice, a status transition that is not allowed).
- `Conflict`: the input is fine but clashes with the current state (scoring a draft,
  deciding a review twice, a fund with a job in progress).
- `Unprocessable`: well-formed input the domain cannot act on (an incomplete
  assessment, an unknown parameter profile); it names itself with a `title`.
- `Unavailable`: a dependency the use case needs is down; retrying later may work.
- `ContentTooLarge`: an uploaded payload is bigger than the domain accepts.
- `UnsupportedContent`: an uploaded payload is not of a kind the domain can read.

`detail` is one sentence for a person; `code`, when given, is the refusal's stable
name (the slug of its problem type, e.g. ``evidence-encrypted``), for a program that
must tell refusals of the same kind apart. Every other keyword is a fact for a program
(`current_status=`, `job_id=`, ...); `errors=` lists the offending values, each
located by an RFC 6901 JSON Pointer into what the caller sent.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Conflict",
    "ContentTooLarge",
    "DomainError",
    "InvalidInput",
    "NotFound",
    "Unavailable",
    "Unprocessable",
    "UnsupportedContent",
]


class DomainError(Exception):
    """Base of every refusal; `title` names it when its kind alone does not."""

    def __init__(
        self, detail: str, *, title: str | None = None, code: str | None = None, **facts: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.title = title
        self.code = code
        self.facts: dict[str, Any] = facts

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


class NotFound(DomainError):
    """``NotFound("company", company_id)``: detail ``company '<id>' not found``."""

    def __init__(self, resource: str, identifier: object, **facts: Any) -> None:
        super().__init__(f"{resource} '{identifier}' not found", **facts)
        self.resource = resource
        self.identifier = identifier


class InvalidInput(DomainError):
    """The input breaks a rule of the domain."""


class Conflict(DomainError):
    """The input clashes with the current state of what it changes."""


class Unprocessable(DomainError):
    """Well-formed input the domain cannot act on; `title` says what is wrong with it."""

    def __init__(self, title: str, detail: str, *, code: str | None = None, **facts: Any) -> None:
        super().__init__(detail, title=title, code=code, **facts)


class Unavailable(DomainError):
    """A dependency is down; `retry_after_seconds` says when trying again makes sense."""

    def __init__(
        self,
        title: str,
        detail: str,
        *,
        retry_after_seconds: int | None = None,
        code: str | None = None,
        **facts: Any,
    ) -> None:
        super().__init__(detail, title=title, code=code, **facts)
        self.retry_after_seconds = retry_after_seconds


class ContentTooLarge(DomainError):
    """An uploaded payload is bigger than allowed; `max_bytes` says how big it may be."""

    def __init__(self, detail: str, *, max_bytes: int, code: str | None = None) -> None:
        # RFC 9110's name for 413 (older Pythons still say "Request Entity Too Large").
        super().__init__(detail, title="Content Too Large", code=code, max_bytes=max_bytes)


class UnsupportedContent(DomainError):
    """An uploaded payload is not of a kind the domain reads (judged by its content)."""
