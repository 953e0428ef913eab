"""Logging, correlation ids, problem details and tracing shared by every service."""

from orgair_observability.correlation import (
    CORRELATION_HEADER,
    CorrelationIdMiddleware,
    get_correlation_id,
)
from orgair_observability.logging import configure_logging, get_logger
from orgair_observability.problems import (
    BadRequest,
    Conflict,
    NotFound,
    ProblemError,
    install_problem_handlers,
    problem_response,
)
from orgair_observability.redaction import register_secret_values
from orgair_observability.service import setup_service
from orgair_observability.tracing import configure_tracing, shutdown_tracing

__all__ = [
    "CORRELATION_HEADER",
    "BadRequest",
    "Conflict",
    "CorrelationIdMiddleware",
    "NotFound",
    "ProblemError",
    "configure_logging",
    "configure_tracing",
    "get_correlation_id",
    "get_logger",
    "install_problem_handlers",
    "problem_response",
    "register_secret_values",
    "setup_service",
    "shutdown_tracing",
]
