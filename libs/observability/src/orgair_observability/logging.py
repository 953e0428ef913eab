"""structlog configuration shared by every service.

Every line, whether it comes from our own loggers or from a library that uses the
standard `logging` module (uvicorn, SQLAlchemy, Celery, botocore), is rendered by
the same processors as one JSON object per line (or as console text) and written
by one root handler. Each line carries ``timestamp`` (ISO 8601, UTC), ``level``,
``event``, ``service``, ``correlation_id``, ``trace_id`` and ``span_id``; secrets
are masked by key name and registered secret values are scrubbed from the text.

Two ways in, one way out:

* `get_logger` loggers (and `structlog.get_logger`) build the event dict and hand
  it straight to the root handler, which renders it with orjson and writes the
  line: no `LogRecord`, no `ProcessorFormatter` round trip. This is the path of
  every access line, so it is kept short (measured: ~10x cheaper than the stdlib
  path, which was a third of the gateway's CPU time per proxied request).
* Records of the standard `logging` module go through the handler's
  `ProcessorFormatter`, which adds the same fields and renders them the same way.

Handlers other than ours (a test's capture handler, pytest's) still receive a
standard `LogRecord` carrying the event dict, exactly as before, and the level
of the named stdlib logger (`logging.getLogger(name).setLevel`) still decides.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
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
    "Logger",
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


def _current_trace_ids() -> tuple[str | None, str | None]:
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")
    return None, None


def add_trace_context(
    _logger: WrappedLogger, _method_name: str, event_dict: EventDict
) -> EventDict:
    """Add the current OpenTelemetry span's ids (lower-case hex, or null outside a span)."""
    trace_id, span_id = _current_trace_ids()
    event_dict.setdefault("trace_id", trace_id)
    event_dict.setdefault("span_id", span_id)
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


# Run where a standard `logging` record is formatted (synchronously, inside the
# logging call): they read context (contextvars, the current span).
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
    """Event dict (with the context fields) -> the final line, for either way in."""
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


def _render_json_line(event_dict: EventDict) -> str:
    """The JSON rendering of an event dict whose standard keys already lead: the
    json chain of `_rendering_processors` without its reordering step."""
    if "exc_info" in event_dict:
        event_dict = structlog.processors.format_exc_info(None, "", event_dict)
    redact_secrets(None, "", event_dict)
    return scrub_registered_secrets(_orjson_dumps(event_dict))


class _RootHandler(logging.StreamHandler[TextIO]):
    """The one handler `configure_logging` puts on the root logger.

    Standard records are formatted by its `ProcessorFormatter`; our loggers hand it
    finished event dicts (`write_event`), rendered by the same processors.
    """

    def __init__(self, stream: TextIO, fmt: LogFormat, rendering: list[Processor]) -> None:
        super().__init__(stream)
        self.fmt = fmt
        # Event dicts from our loggers arrive with their standard keys in order.
        self._chain = (
            [step for step in rendering if step is not lead_with_standard_keys]
            if fmt == "json"
            else rendering
        )

    def render_event(self, method_name: str, event_dict: EventDict) -> str:
        if self.fmt == "json":
            return _render_json_line(event_dict)
        rendered: Any = event_dict
        for step in self._chain:
            rendered = step(None, method_name, rendered)
        return str(rendered)

    def write_line(self, line: str) -> None:
        # What `StreamHandler.emit` does once a record is formatted.
        self.acquire()
        try:
            stream = self.stream
            stream.write(line + self.terminator)
            stream.flush()
        finally:
            self.release()


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


# --------------------------------------------------------------------- the fast path

# Method name -> (numeric level, the `level` field), as structlog's stdlib logger
# names them (`warn` is `warning`, `exception` is `error`).
_METHOD_LEVELS: dict[str, tuple[int, str]] = {
    "debug": (logging.DEBUG, "debug"),
    "info": (logging.INFO, "info"),
    "warning": (logging.WARNING, "warning"),
    "warn": (logging.WARNING, "warning"),
    "error": (logging.ERROR, "error"),
    "exception": (logging.ERROR, "error"),
    "critical": (logging.CRITICAL, "critical"),
    "fatal": (logging.CRITICAL, "critical"),
}
_LEVEL_METHODS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}
# Set by our processors whatever the caller passed (structlog's behaviour).
_OVERRIDDEN_KEYS = ("timestamp", "level", "logger", "service")
# `stack_info=True` -> a "stack" field with the caller's stack (not ours).
_STACK_RENDERER = structlog.processors.StackInfoRenderer(additional_ignores=[__name__])
_STRUCTLOG_PREFIX = structlog.contextvars.STRUCTLOG_KEY_PREFIX
_PREFIX_LENGTH = len(_STRUCTLOG_PREFIX)


def bound_contextvar(key: str) -> Any:
    """The value bound to `key` with `structlog.contextvars.bind_contextvars` in the
    current context, or None: one variable read, where `get_contextvars()` copies and
    walks the whole context."""
    variables: dict[str, contextvars.ContextVar[Any]] | None = getattr(
        structlog.contextvars, "_CONTEXT_VARS", None
    )
    if variables is None:
        return structlog.contextvars.get_contextvars().get(key)
    variable = variables.get(_STRUCTLOG_PREFIX + key)
    value = Ellipsis if variable is None else variable.get(Ellipsis)
    return None if value is Ellipsis else value


def _bound_contextvars() -> Iterator[tuple[str, Any]]:
    """structlog's context-local values (what `merge_contextvars` reads), without
    copying and walking the whole `contextvars.Context` on every line."""
    variables: dict[str, contextvars.ContextVar[Any]] | None = getattr(
        structlog.contextvars, "_CONTEXT_VARS", None
    )
    if variables is None:  # a structlog without the registry: the public way
        yield from structlog.contextvars.get_contextvars().items()
        return
    for name, variable in tuple(variables.items()):
        value = variable.get(Ellipsis)
        if value is not Ellipsis:
            yield name[_PREFIX_LENGTH:], value


def _event_dict(name: str, level_name: str, fields: dict[str, Any]) -> EventDict:
    """The standard fields first, then the call's fields, then the bound context:
    what the stdlib chain produces after `lead_with_standard_keys`.

    `fields` holds the bound logger context, the call's keywords and ``event``
    (plus ``positional_args`` when the message had %-arguments); it is consumed.
    """
    args = fields.pop("positional_args", None)
    event = fields.pop("event", None)
    if args:
        if len(args) == 1 and isinstance(args[0], dict) and args[0]:
            args = args[0]
        event %= args
    if "stack_info" in fields:
        _STACK_RENDERER(None, "", fields)
    for key in _OVERRIDDEN_KEYS:
        fields.pop(key, None)
    trace_id, span_id = _current_trace_ids()
    context = dict(_bound_contextvars())
    event_dict: EventDict = {
        "timestamp": datetime.now(tz=UTC).isoformat().replace("+00:00", "Z"),
        "level": level_name,
        "event": event,
        "service": _ServiceName.value,
        "logger": name,
        # Explicit fields win over the context, as with `merge_contextvars`.
        "correlation_id": fields.pop("correlation_id", context.pop("correlation_id", None)),
        "trace_id": fields.pop("trace_id", trace_id),
        "span_id": fields.pop("span_id", span_id),
    }
    event_dict.update(fields)
    for key, value in context.items():
        if key not in event_dict:
            event_dict[key] = value
    return event_dict


def _emit(logger: logging.Logger, levelno: int, method_name: str, event_dict: EventDict) -> None:
    """Hand `event_dict` to every handler a record of `logger` would reach.

    Ours renders and writes it directly; any other gets a `LogRecord` whose message
    is the event dict, as structlog's `wrap_for_formatter` makes it.
    """
    found = False
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            found = True
            if levelno < handler.level:
                continue
            if type(handler) is _RootHandler:
                try:
                    line = handler.render_event(method_name, dict(event_dict))
                    handler.write_line(line)
                except Exception:  # a log call never raises (Handler.handleError)
                    handler.handleError(_record(logger, levelno, method_name, event_dict))
            else:
                handler.handle(_record(logger, levelno, method_name, event_dict))
        if not current.propagate:
            break
        current = current.parent
    last_resort = logging.lastResort
    if not found and last_resort is not None and levelno >= last_resort.level:
        last_resort.handle(_record(logger, levelno, method_name, event_dict))


def _record(
    logger: logging.Logger, levelno: int, method_name: str, event_dict: EventDict
) -> logging.LogRecord:
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__") in _OWN_MODULES:
        frame = frame.f_back
    record = logging.LogRecord(
        logger.name,
        levelno,
        frame.f_code.co_filename,
        frame.f_lineno,
        event_dict,
        None,
        None,
        frame.f_code.co_name,
    )
    record._logger = logger  # as wrap_for_formatter sets
    record._name = method_name
    return record


_OWN_MODULES = frozenset(
    {__name__, "structlog._base", "structlog.stdlib", "structlog._config", "structlog._native"}
)


class Logger:
    """What `get_logger` returns: structlog's stdlib-style methods and `bind`.

    It looks up the named `logging.Logger` for its level and handlers at every
    call, so a logger created before `configure_logging` (at import time) follows
    whatever configuration is current.
    """

    __slots__ = ("_context", "_stdlib", "name")

    def __init__(self, name: str, context: dict[str, Any] | None = None) -> None:
        self.name = name
        self._stdlib = logging.getLogger(name)
        self._context: dict[str, Any] = context or {}

    def __repr__(self) -> str:
        return f"<Logger {self.name!r} context={self._context!r}>"

    # -- context

    def bind(self, **values: Any) -> Logger:
        return Logger(self.name, {**self._context, **values})

    def new(self, **values: Any) -> Logger:
        return Logger(self.name, dict(values))

    def unbind(self, *keys: str) -> Logger:
        context = dict(self._context)
        for key in keys:
            del context[key]
        return Logger(self.name, context)

    def try_unbind(self, *keys: str) -> Logger:
        return Logger(self.name, {k: v for k, v in self._context.items() if k not in keys})

    def is_enabled_for(self, level: int) -> bool:
        return self._stdlib.isEnabledFor(level)

    # -- logging

    def _log(self, method_name: str, event: Any, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
        if not _structlog_routes_here():
            # structlog was reconfigured after us (`structlog.testing.capture_logs`,
            # say): follow its configuration, as a structlog logger would.
            bound = structlog.get_logger(self.name).bind(**self._context)
            getattr(bound, method_name)(event, *args, **kw)
            return
        levelno, level_name = _METHOD_LEVELS[method_name]
        stdlib = self._stdlib
        if not stdlib.isEnabledFor(levelno):
            return
        fields = {**self._context, **kw} if self._context else kw
        fields["event"] = event
        if args:
            fields["positional_args"] = args
        try:
            event_dict = _event_dict(self.name, level_name, fields)
        except Exception:  # a bad %-format, say: logged as the stdlib would report it
            logging.getLogger(__name__).exception("log_call_failed", stacklevel=3)
            return
        _emit(stdlib, levelno, level_name, event_dict)

    def debug(self, event: Any = None, *args: Any, **kw: Any) -> None:
        self._log("debug", event, args, kw)

    def info(self, event: Any = None, *args: Any, **kw: Any) -> None:
        self._log("info", event, args, kw)

    def warning(self, event: Any = None, *args: Any, **kw: Any) -> None:
        self._log("warning", event, args, kw)

    warn = warning

    def error(self, event: Any = None, *args: Any, **kw: Any) -> None:
        self._log("error", event, args, kw)

    def exception(self, event: Any = None, *args: Any, **kw: Any) -> None:
        kw.setdefault("exc_info", True)
        self._log("error", event, args, kw)

    def critical(self, event: Any = None, *args: Any, **kw: Any) -> None:
        self._log("critical", event, args, kw)

    fatal = critical
    msg = info

    def log(self, level: int, event: Any = None, *args: Any, **kw: Any) -> None:
        method_name = _LEVEL_METHODS.get(level)
        if method_name is None:
            # An unusual number: filtered on its own value, labelled by its name.
            if self._stdlib.isEnabledFor(level):
                fields = {**self._context, **kw, "event": event}
                if args:
                    fields["positional_args"] = args
                event_dict = _event_dict(self.name, logging.getLevelName(level).lower(), fields)
                _emit(self._stdlib, level, event_dict["level"], event_dict)
            return
        self._log(method_name, event, args, kw)


class _Processors:
    """The processor list `configure_logging` gave structlog (None before the first call)."""

    configured: list[Processor] | None = None


def _structlog_routes_here() -> bool:
    """Whether structlog's configuration is still ours: its processor list is the one
    `configure_logging` installed, unchanged. Before `configure_logging`, our loggers
    work as well (the stdlib decides, as structlog's stdlib loggers would), unless
    structlog was configured by someone else (`structlog.testing.capture_logs`)."""
    processors = _Processors.configured
    if processors is None:
        return not structlog.is_configured()
    return (
        len(processors) == 2
        and processors[1] is _to_fast_path
        and _configured_structlog_processors() is processors
    )


# structlog's global configuration object: read directly, as `get_config()` builds a
# new dict per call; the public function is the fallback should the internals move.
_STRUCTLOG_CONFIG = getattr(getattr(structlog, "_config", None), "_CONFIG", None)


def _configured_structlog_processors() -> object:
    current = getattr(_STRUCTLOG_CONFIG, "default_processors", None)
    return current if current is not None else structlog.get_config()["processors"]


def _to_fast_path(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: loggers made with `structlog.get_logger` end here, on the
    same way out as `get_logger`'s."""
    levelno, level_name = _METHOD_LEVELS.get(method_name, (logging.INFO, method_name))
    stdlib = logger if isinstance(logger, logging.Logger) else logging.getLogger()
    _emit(stdlib, levelno, level_name, _event_dict(stdlib.name, level_name, dict(event_dict)))
    raise structlog.DropEvent


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
    handler = _RootHandler(output, fmt, rendering)
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

    processors: list[Processor] = [structlog.stdlib.filter_by_level, _to_fast_path]
    _Processors.configured = processors
    structlog.configure(
        processors=processors,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        context_class=dict,
        # Not cached: a module-level logger used before `configure_logging` (an
        # import-time message, a test that builds an app without setup) would
        # otherwise keep structlog's default configuration for the whole process.
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> Logger:
    """A logger; `name` becomes the ``logger`` field (the caller's module if None)."""
    if name is None:
        name = str(sys._getframe(1).f_globals.get("__name__", "root"))
    return Logger(name)
