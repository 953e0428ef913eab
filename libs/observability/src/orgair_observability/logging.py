"""structlog configuration shared by every service.

Every line, whether it comes from our own loggers or from a library that uses the
standard `logging` module (uvicorn, SQLAlchemy, Celery, botocore), is rendered by
the same processors as one JSON object per line (or as console text) and written
by one root handler. Each line carries ``timestamp`` (ISO 8601, UTC), ``level``,
``event``, ``service``, ``correlation_id``, ``trace_id`` and ``span_id``; secrets
are masked by key name and registered secret values are scrubbed from the text.

Two ways in, one way out:

* `get_logger` (or `structlog.get_logger`) loggers are structlog's native filtering
  bound loggers (`structlog.make_filtering_bound_logger`), cached on first use:
  a call below the configured level is a bare ``return None``, and a call above it
  runs the context processors (`merge_contextvars`, level, name, timestamp,
  service, trace ids) and hands the event dict to `HandlerSink`, the object the
  logger factory makes. The sink gives it straight to the root handler, which
  renders it with orjson and writes the line: no `LogRecord`, no
  `ProcessorFormatter` round trip. This is the path of every access line, so it is
  kept short (the stdlib route costs several times more per line, and the access
  line is paid on every proxied request; `bench/bench_access_log.py` measures it).
* Records of the standard `logging` module go through the handler's
  `ProcessorFormatter`, which adds the same fields and renders them with the same
  processors, so both ways give the same bytes.

Handlers other than ours (a test's capture handler, pytest's) still receive a
standard `LogRecord` carrying the event dict, as structlog's `wrap_for_formatter`
makes it, and the level of the named stdlib logger (`logging.getLogger(name).setLevel`)
still decides. `structlog.testing.capture_logs` works as documented: the processor
list is one list, kept for the life of the process.

A service calls `configure_logging` once at start. A later call replaces the handler,
the format and the service name for every logger; a logger already used keeps the
level filter it was cached with, which a later call can raise (the stdlib level
still applies) but not lower.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from typing import Any, Literal, TextIO

import orjson
import structlog
from opentelemetry import trace
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from orgair_observability.redaction import (
    redact_secrets,
    register_secret_values,
    scrub_registered_secrets,
)

__all__ = [
    "HandlerSink",
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
    """The service name read by `add_standard_fields`; a holder rather than a closure so
    that loggers created before a reconfiguration see the new name."""

    value: str | None = None


# `add_log_level`'s names: stdlib-style method aliases are labelled by their level.
_LEVEL_OF_METHOD = {"warn": "warning", "exception": "error"}


class _UtcClock:
    """ISO 8601 in UTC with microseconds, ``2026-12-01T21:06:59.123456Z`` (always six
    digits, so lines sort as text).

    `structlog.processors.TimeStamper(fmt="iso", utc=True)` writes the same through
    `datetime.now().isoformat()`, a tenth of the access line's cost; here the date and
    time of day are formatted once per second and the microseconds appended, from the
    same clock (`time.time_ns`, rounded down as `datetime.now` rounds it).
    """

    def __init__(self) -> None:
        # (whole second, its text): one attribute, replaced whole, so a thread never
        # reads one second with another second's text.
        self._cached: tuple[int, str] = (-1, "")

    def now(self) -> str:
        second, fraction = divmod(time.time_ns() // 1000, 1_000_000)
        cached_second, text = self._cached
        if second != cached_second:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._cached = (second, text)
        return f"{text}.{fraction:06d}Z"


_clock = _UtcClock()


def add_standard_fields(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """Processor: the fields every line carries, leading it in this order (when, how
    bad, what, where): ``timestamp level event service logger correlation_id trace_id
    span_id``, then the call's fields, then the bound context.

    ``timestamp``, ``level``, ``service`` and ``logger`` are ours whatever the call
    passed; ``correlation_id`` (usually bound by the request and merged by
    `merge_contextvars`, which runs first), ``trace_id`` and ``span_id`` (the current
    OpenTelemetry span, lower-case hex) may be given explicitly; each is null when
    unknown, so the key is on every line as log queries expect. What structlog's
    `add_log_level`, `add_logger_name` and `TimeStamper` add, in one step that builds
    the ordered dict once: it runs on every access line.
    """
    record = event_dict.get("_record")  # a standard record, in `ProcessorFormatter`
    level = _LEVEL_OF_METHOD.get(method_name, method_name)
    name = record.name if record is not None else logger.name
    service = _ServiceName.value
    timestamp = _clock.now()
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        trace_id: str | None = format(span_context.trace_id, "032x")
        span_id: str | None = format(span_context.span_id, "016x")
    else:
        trace_id = span_id = None
    ordered: EventDict = {
        "timestamp": timestamp,
        "level": level,
        "event": None,
        "service": service,
        "logger": name,
        "correlation_id": None,
        "trace_id": trace_id,
        "span_id": span_id,
    }
    ordered.update(event_dict)
    ordered["timestamp"] = timestamp
    ordered["level"] = level
    ordered["service"] = service
    ordered["logger"] = name
    return ordered


def drop_color_message(
    _logger: WrappedLogger, _method_name: str, event_dict: EventDict
) -> EventDict:
    # uvicorn passes an ANSI-coloured copy of its message as `extra`.
    event_dict.pop("color_message", None)
    return event_dict


# Run where the event is made (synchronously, inside the logging call), for either
# way in: they read context (contextvars, the current span).
_CONTEXT_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    add_standard_fields,
]


def hand_to_sink(
    _logger: WrappedLogger, _method_name: str, event_dict: EventDict
) -> tuple[tuple[EventDict], dict[str, Any]]:
    """Final processor: structlog calls the `HandlerSink` method with the event dict
    as its one argument (``(args, kwargs)``, as structlog documents for a tuple)."""
    return (event_dict,), {}


# structlog's chain for our loggers: the context, then the event dict is handed to
# the `HandlerSink`. One list for the process: `configure_logging` passes this same
# object every time, so `structlog.testing.capture_logs`, which edits the
# configured list in place, reaches loggers cached under an earlier configuration.
_STRUCTLOG_PROCESSORS: list[Processor] = [
    *_CONTEXT_PROCESSORS,
    # `stack_info=True` -> a "stack" field with the caller's stack.
    structlog.processors.StackInfoRenderer(),
    hand_to_sink,
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


class _JsonLineRenderer:
    """The line as JSON: ``exc_info`` turned into the ``exception`` text (structlog's
    `format_exc_info`), structlog's `JSONRenderer` with orjson, then registered secret
    values replaced in the finished text. One step, as it runs on every line.

    ``default`` is structlog's fallback (``__structlog__``, else ``repr``); orjson
    refuses a few values the stdlib accepts (integers beyond 64 bits), which then go
    through the stdlib encoder: a log call must never fail because of what it was given.
    """

    def __init__(self) -> None:
        self._orjson = structlog.processors.JSONRenderer(
            serializer=orjson.dumps, option=orjson.OPT_NON_STR_KEYS
        )
        self._stdlib = structlog.processors.JSONRenderer(ensure_ascii=False)

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> str:
        if "exc_info" in event_dict:  # rare: most lines carry no exception
            event_dict = structlog.processors.format_exc_info(logger, method_name, event_dict)
        try:
            line = self._orjson(logger, method_name, event_dict)
        except orjson.JSONEncodeError:
            line = self._stdlib(logger, method_name, event_dict)
        return scrub_registered_secrets(line.decode() if isinstance(line, bytes) else line)


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
        return [redact_secrets, _JsonLineRenderer()]
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


class _RootHandler(logging.StreamHandler[TextIO]):
    """The one handler `configure_logging` puts on the root logger.

    Standard records are formatted by its `ProcessorFormatter`; our loggers hand it
    finished event dicts (`write_event`), rendered by the same processors.
    """

    def __init__(self, stream: TextIO, rendering: list[Processor]) -> None:
        super().__init__(stream)
        self._rendering = rendering

    def write_event(self, method_name: str, event_dict: EventDict) -> None:
        rendered: Any = event_dict
        for step in self._rendering:
            rendered = step(None, method_name, rendered)
        # What `StreamHandler.emit` does once a record is formatted.
        self.acquire()
        try:
            stream = self.stream
            stream.write(rendered + self.terminator)
            stream.flush()
        finally:
            self.release()


class HandlerSink:
    """What structlog wraps (the logger factory makes one per name): takes the finished
    event dict and hands it to every handler a record of the named stdlib logger
    would reach.

    Ours renders and writes it directly; any other gets the `LogRecord` that
    `ProcessorFormatter.wrap_for_formatter` and the stdlib logger would have made
    (its message is the event dict). The named logger's level (and the handlers'
    levels) decide, so `logging.getLogger(name).setLevel` still works; the logger and
    its handlers are looked up at each call, so a logger cached before a
    reconfiguration writes where the current configuration says.
    """

    __slots__ = ("_stdlib", "name")

    def __init__(self, stdlib: logging.Logger) -> None:
        self._stdlib = stdlib
        self.name = stdlib.name

    def __repr__(self) -> str:
        return f"<HandlerSink {self.name!r}>"

    def debug(self, event_dict: EventDict) -> None:
        self._handle(logging.DEBUG, "debug", event_dict)

    def info(self, event_dict: EventDict) -> None:
        self._handle(logging.INFO, "info", event_dict)

    def warning(self, event_dict: EventDict) -> None:
        self._handle(logging.WARNING, "warning", event_dict)

    def error(self, event_dict: EventDict) -> None:
        self._handle(logging.ERROR, "error", event_dict)

    def critical(self, event_dict: EventDict) -> None:
        self._handle(logging.CRITICAL, "critical", event_dict)

    def _handle(self, levelno: int, method_name: str, event_dict: EventDict) -> None:
        stdlib = self._stdlib
        if not stdlib.isEnabledFor(levelno):
            return
        record: logging.LogRecord | None = None
        found = False
        current: logging.Logger | None = stdlib
        while current is not None:
            for handler in current.handlers:
                found = True
                if levelno < handler.level:
                    continue
                if type(handler) is _RootHandler:
                    try:
                        handler.write_event(method_name, dict(event_dict))
                    except Exception:  # a log call never raises (Handler.handleError)
                        handler.handleError(self._record(levelno, method_name, event_dict))
                else:
                    if record is None:
                        record = self._record(levelno, method_name, event_dict)
                    handler.handle(record)
            if not current.propagate:
                break
            current = current.parent
        last_resort = logging.lastResort
        if not found and last_resort is not None and levelno >= last_resort.level:
            last_resort.handle(self._record(levelno, method_name, event_dict))

    def _record(self, levelno: int, method_name: str, event_dict: EventDict) -> logging.LogRecord:
        """The record `logging.Logger.info(event_dict, extra=...)` would make from
        `wrap_for_formatter`'s output, with the caller's file, line and function (the
        first frame outside structlog and this module)."""
        frame = sys._getframe(1)
        while frame.f_back is not None and _is_logging_frame(frame):
            frame = frame.f_back
        code = frame.f_code
        return self._stdlib.makeRecord(
            self.name,
            levelno,
            code.co_filename,
            frame.f_lineno,
            event_dict,
            (),
            None,
            code.co_name,
            {"_logger": self, "_name": method_name},
        )


def _is_logging_frame(frame: Any) -> bool:
    module = str(frame.f_globals.get("__name__", ""))
    return module == __name__ or module == "structlog" or module.startswith("structlog.")


class _SinkFactory:
    """structlog's logger factory: a `HandlerSink` for the named stdlib logger (named
    after the caller's module when `structlog.get_logger()` gives no name)."""

    def __init__(self) -> None:
        self._stdlib_factory = structlog.stdlib.LoggerFactory(ignore_frame_names=[__name__])

    def __call__(self, *args: Any) -> HandlerSink:
        return HandlerSink(self._stdlib_factory(*args))


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
    handler = _RootHandler(output, rendering)
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
        processors=_STRUCTLOG_PROCESSORS,
        logger_factory=_SinkFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        context_class=dict,
        # A logger used before this call (at import time, say) ran under structlog's
        # defaults, which do not cache: it is cached at its first use from now on.
        cache_logger_on_first_use=True,
    )


def get_logger(name: str | None = None) -> FilteringBoundLogger:
    """A logger; `name` becomes the ``logger`` field (the caller's module if None)."""
    if name is None:
        name = str(sys._getframe(1).f_globals.get("__name__", "root"))
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger
