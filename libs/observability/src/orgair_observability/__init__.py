"""Logging, correlation ids, problem details and tracing shared by every service.

The names below are imported on first use (PEP 562), not with the package: a process
without a web framework (the worker, the domain library) uses the logger and the
tracing without loading FastAPI, which `problems` and `service` import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOME = {
    "CORRELATION_HEADER": "correlation",
    "CorrelationIdMiddleware": "correlation",
    "get_correlation_id": "correlation",
    "configure_logging": "logging",
    "get_logger": "logging",
    "BadRequest": "problems",
    "Conflict": "problems",
    "NotFound": "problems",
    "ProblemError": "problems",
    "install_problem_handlers": "problems",
    "problem_response": "problems",
    "register_secret_values": "redaction",
    "setup_service": "service",
    "configure_tracing": "tracing",
    "shutdown_tracing": "tracing",
}

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


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value
