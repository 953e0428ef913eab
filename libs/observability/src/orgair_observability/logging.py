"""structlog configuration shared by every service.

Every record, whether it comes from structlog or from a library that uses the
standard `logging` module (uvicorn, SQLAlchemy, Celery, botocore), leaves the
process through one root handler whose `ProcessorFormatter` renders it as one
JSON object per line (or as console text). Each line carries ``timestamp``
(ISO 8601, UTC), ``level``, ``event``, ``service``, ``correlation_id``,
``trace_id`` and ``span_id``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from typing import Any, Literal, TextIO

import orjson
import structlog
from opentelemetry import trace
from structlog.typing import EventDict, Processor, WrappedLogger

from orgair_observability.redaction import (
    redact_secrets,
    register_secret_values,
    scrub_registered_secrets,
)

__all__ = [
    "LogFormat",
    "configure_logging",
    "get_logger",
    "mark_exception_logged",
    "redact_secrets",
    "register_secret_values",
]

LogFormat = Literal["json", "console"]

# Libraries that install their own handlers. Their records are sent up to the
# root handler instead, so they come out in the same format as ours.
ROUTED_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "gunicorn",
    "gunicorn.error",
    "gunicorn.access",
    "celery",
    "celery.task",
    "celery.worker",
    "sqlalchemy",
    "sqlalchemy.engine",
    "alembic",
)
# uvicorn's access line has neither duration nor correlation id and would
# duplicate `request_completed` from `CorrelationIdMiddleware`.
SILENCED_LOGGERS = ("uvicorn.access",)

# Set on an exception once it has been logged with its request's context, so the
# server's own report of the same exception (uvicorn's "Exception in ASGI
# application", which no longer knows the correlation id) is not a second stack.
_LOGGED_MARKER = "_orgair_observability_logged"

# Marks the root handler installed here so that reconfiguring replaces it
# instead of stacking a second one (which would print every line twice).
_HANDLER_MARKER = "_orgair_observability_handler"


class _ServiceName:
    """The service name read by `add_service`; a holder rather than a closure so that
    loggers created before a reconfiguration see the new name."""

    value: str | None = None


def add_service(_logger: WrappedLogger, _method_name: str, event_dict: EventDict) -> EventDict:
    event_dict["service"] = _ServiceName.value
    return event_dict


def add_correlation_id(
    _logger: WrappedLogger, _method_name: str, event_dict: EventDict
) -> EventDict:
    # `merge_contextvars` has already copied it when a request bound one;
    # a null keeps the key present on every line, as log queries expect.
    event_dict.setdefault("correlation_id", None)
    return event_dict


def add_trace_context(
    _logger: WrappedLogger, _method_name: str, event_dict: EventDict
) -> EventDict:
    """Add the current OpenTelemetry span's ids (lower-case hex, or null outside a span)."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict.setdefault("trace_id", trace.format_trace_id(span_context.trace_id))
        event_dict.setdefault("span_id", trace.format_span_id(span_context.span_id))
    else:
        event_dict.setdefault("trace_id", None)
        event_dict.setdefault("span_id", None)
    return event_dict


# Read left to right, the fixed fields tell when, how bad, what and where.
_LEADING_KEYS = (
    "timestamp",
    "level",
    "event",
    "service",
    "logger",
    "correlation_id",
    "trace_id",
    "span_id",
)


def lead_with_standard_keys(
    _logger: WrappedLogger, _method_name: str, event_dict: EventDict
) -> EventDict:
    ordered = {key: event_dict[key] for key in _LEADING_KEYS if key in event_dict}
    ordered.update(event_dict)
    return ordered


def drop_color_message(
    _logger: WrappedLogger, _method_name: str, event_dict: EventDict
) -> EventDict:
    # uvicorn passes an ANSI-coloured copy of its message as `extra`.
    event_dict.pop("color_message", None)
    return event_dict


# Run where the record is created: they read context (contextvars, the current
# span) that is gone once the call returns.
_CONTEXT_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    add_service,
    add_correlation_id,
    add_trace_context,
]


def mark_exception_logged(exc: BaseException) -> None:
    """Record that `exc` has been logged with its stack; later records of it are dropped."""
    # An exception type with __slots__ cannot be marked; it is then reported twice.
    with contextlib.suppress(AttributeError):
        setattr(exc, _LOGGED_MARKER, True)


class _DropAlreadyLoggedExceptions(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not getattr(exc, _LOGGED_MARKER, False)


def _orjson_dumps(value: Any, **_kwargs: Any) -> str:
    try:
        return orjson.dumps(value, default=_json_fallback, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        # orjson refuses a few values the stdlib accepts (integers beyond 64 bits);
        # a log call must never fail because of what it was given.
        return json.dumps(value, default=_json_fallback, ensure_ascii=False)


def _json_fallback(value: Any) -> Any:
    structlog_repr = getattr(value, "__structlog__", None)
    if callable(structlog_repr):
        return structlog_repr()
    return repr(value)


class _ScrubbedRenderer:
    """Render the event, then replace registered secret values in the final text."""

    def __init__(self, renderer: Processor) -> None:
        self._renderer = renderer

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> str:
        rendered = self._renderer(logger, method_name, event_dict)
        if isinstance(rendered, bytes):
            rendered = rendered.decode()
        if not isinstance(rendered, str):
            raise TypeError(f"log renderer returned {type(rendered).__name__}, not str")
        return scrub_registered_secrets(rendered)


def _rendering_processors(fmt: LogFormat, stream: TextIO) -> list[Processor]:
    if fmt == "json":
        return [
            structlog.processors.format_exc_info,  # exc_info -> "exception" (text)
            redact_secrets,
            lead_with_standard_keys,
            _ScrubbedRenderer(structlog.processors.JSONRenderer(serializer=_orjson_dumps)),
        ]
    if fmt == "console":
        return [
            redact_secrets,
            _ScrubbedRenderer(
                structlog.dev.ConsoleRenderer(
                    colors=_is_terminal(stream),
                    # The default rich formatter prints local variables, which may hold secrets.
                    exception_formatter=structlog.dev.plain_traceback,
                )
            ),
        ]
    raise ValueError(f"unknown log format {fmt!r}; expected 'json' or 'console'")


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


def _parse_level(level: str) -> int:
    levels = logging.getLevelNamesMapping()
    numeric = levels.get(level.upper())
    if numeric is None:
        raise ValueError(
            f"unknown log level {level!r}; expected one of DEBUG, INFO, WARNING, ERROR"
        )
    return numeric


def configure_logging(
    *,
    service: str,
    level: str = "INFO",
    fmt: LogFormat = "json",
    stream: TextIO | None = None,
) -> None:
    """Send every structlog and `logging` record to `stream` (stderr by default).

    Safe to call again: the handler installed by the previous call is replaced.
    """
    # Validate everything before changing any global state.
    numeric_level = _parse_level(level)
    output = stream if stream is not None else sys.stderr
    rendering = _rendering_processors(fmt, output)

    _ServiceName.value = service
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.ExtraAdder(),
            drop_color_message,
            *_CONTEXT_PROCESSORS,
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
    )
    handler = logging.StreamHandler(output)
    handler.setFormatter(formatter)
    handler.addFilter(_DropAlreadyLoggedExceptions())
    setattr(handler, _HANDLER_MARKER, True)

    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, _HANDLER_MARKER, False):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(numeric_level)

    for name in ROUTED_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    for name in SILENCED_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_CONTEXT_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        context_class=dict,
        # Not cached: a module-level logger used before `configure_logging` (an
        # import-time message, a test that builds an app without setup) would
        # otherwise keep structlog's default configuration for the whole process.
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structlog logger; `name` becomes the ``logger`` field (the caller's module if None)."""
    if name is None:
        return structlog.stdlib.get_logger()
    return structlog.stdlib.get_logger(name)
