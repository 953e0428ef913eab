"""The direct way out of `get_logger` loggers: same lines as the stdlib formatter path,
same levels, same secrets guarantees, and structlog's own tools still see them."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
import structlog
from opentelemetry import trace
from pydantic import SecretStr

from orgair_observability import configure_tracing, get_logger, register_secret_values

from .conftest import LogLines


@pytest.fixture
def foreign_stream(log_stream: io.StringIO) -> Iterator[io.StringIO]:
    """A second root handler that is not ours, sharing our handler's formatter: it gets
    standard records, which the formatter renders through the stdlib path."""
    root = logging.getLogger()
    ours = next(h for h in root.handlers if getattr(h, "stream", None) is log_stream)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(ours.formatter)
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def _without_timestamps(text: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in text.splitlines() if '"parity_check"' in line]
    for line in lines:
        assert isinstance(line.pop("timestamp"), str)
    return lines


def test_direct_and_formatter_paths_render_the_same_line(
    log_stream: io.StringIO, foreign_stream: io.StringIO
) -> None:
    secret = f"parity-{uuid.uuid4().hex}"
    register_secret_values([secret])
    configure_tracing(
        service="pe-orgair-observability-tests",
        version="0.0.0",
        environment="development",
        otlp_endpoint=None,
    )
    structlog.contextvars.bind_contextvars(correlation_id="parity-correlation", tenant="t1")
    try:
        with trace.get_tracer("tests").start_as_current_span("parity"):
            try:
                raise ValueError(f"failed with {secret}")
            except ValueError:
                get_logger("tests.parity").exception(
                    "parity_check",
                    headers={"Authorization": "Bearer x", "Accept": "*/*"},
                    dsn=SecretStr("hidden-dsn-value"),
                    items=[1, {"token": "t"}],
                    note=f"contains {secret}",
                    count=3,
                )
    finally:
        structlog.contextvars.unbind_contextvars("correlation_id", "tenant")

    ours, theirs = log_stream.getvalue(), foreign_stream.getvalue()
    assert _without_timestamps(ours) == _without_timestamps(theirs)
    # Same key order, not only the same content.
    assert [list(line) for line in _without_timestamps(ours)] == [
        list(line) for line in _without_timestamps(theirs)
    ]
    [line] = _without_timestamps(ours)
    assert list(line)[:7] == [
        "level", "event", "service", "logger", "correlation_id", "trace_id", "span_id",
    ]  # fmt: skip
    assert line["tenant"] == "t1"
    assert line["headers"] == {"Authorization": "***", "Accept": "*/*"}
    assert line["dsn"] == "**********"
    assert line["items"] == [1, {"token": "***"}]
    assert secret not in ours
    assert "ValueError: failed with ***" in str(line["exception"])


def test_explicit_fields_win_over_the_context_and_fixed_fields_do_not(
    log_lines: LogLines,
) -> None:
    structlog.contextvars.bind_contextvars(correlation_id="from-context", extra="ctx")
    try:
        get_logger("tests.fields").info(
            "fields", correlation_id="explicit", extra="call", service="spoofed", level="nope"
        )
    finally:
        structlog.contextvars.unbind_contextvars("correlation_id", "extra")

    [line] = log_lines()
    assert line["correlation_id"] == "explicit"
    assert line["extra"] == "call"
    assert line["service"] == "test-service"
    assert line["level"] == "info"


def test_unbound_context_values_are_left_out(log_lines: LogLines) -> None:
    structlog.contextvars.bind_contextvars(job_id="j-1")
    structlog.contextvars.clear_contextvars()
    get_logger("tests.cleared").info("after_clear")

    [line] = log_lines()
    assert "job_id" not in line
    assert line["correlation_id"] is None


def test_level_of_the_named_stdlib_logger_still_decides(log_lines: LogLines) -> None:
    quiet = logging.getLogger("tests.quiet")
    quiet.setLevel(logging.WARNING)
    try:
        get_logger("tests.quiet").info("dropped")
        get_logger("tests.quiet.child").info("dropped too")
        get_logger("tests.quiet").warning("kept")
    finally:
        quiet.setLevel(logging.NOTSET)

    assert [line["event"] for line in log_lines()] == ["kept"]


def test_bind_new_and_unbind(log_lines: LogLines) -> None:
    base = get_logger("tests.bind").bind(job_id="j-9", chunk=2)
    base.info("bound")
    base.unbind("chunk").info("unbound")
    base.try_unbind("missing", "job_id").info("try_unbound")
    # Last: structlog's `new` clears the context of the logger it is called on.
    base.new(other=True).info("new")

    bound, unbound, try_unbound, new = log_lines()
    assert (bound["job_id"], bound["chunk"]) == ("j-9", 2)
    assert unbound["job_id"] == "j-9" and "chunk" not in unbound
    assert try_unbound["chunk"] == 2 and "job_id" not in try_unbound
    assert new["other"] is True and "job_id" not in new and "chunk" not in new


def test_positional_arguments_and_default_logger_name(log_lines: LogLines) -> None:
    get_logger().info("%s of %d done", "chunk", 3)
    get_logger("tests.dict").info("%(done)s done", {"done": "all"})

    first, second = log_lines()
    assert first["event"] == "chunk of 3 done"
    assert first["logger"] == __name__
    assert second["event"] == "all done"


def test_stack_info_is_the_callers_stack(log_lines: LogLines) -> None:
    get_logger("tests.stack").info("with_stack", stack_info=True)

    [line] = log_lines()
    assert "test_stack_info_is_the_callers_stack" in str(line["stack"])
    assert "stack_info" not in line


def test_structlog_testing_still_captures(log_lines: LogLines) -> None:
    with structlog.testing.capture_logs() as captured:
        get_logger("tests.captured").warning("captured_event", detail="x")
    get_logger("tests.captured").info("after_capture")

    assert [(e["event"], e["log_level"]) for e in captured] == [("captured_event", "warning")]
    assert [line["event"] for line in log_lines()] == ["after_capture"]


def test_structlog_get_logger_takes_the_same_way_out(log_lines: LogLines) -> None:
    structlog.contextvars.bind_contextvars(correlation_id="structlog-way")
    try:
        structlog.get_logger("tests.structlog").warning("via_structlog", password="p4ss-word")
    finally:
        structlog.contextvars.unbind_contextvars("correlation_id")

    [line] = log_lines()
    assert line["logger"] == "tests.structlog"
    assert line["correlation_id"] == "structlog-way"
    assert line["password"] == "***"
    assert line["level"] == "warning"


def test_a_registered_secret_among_many_is_scrubbed(log_stream: io.StringIO) -> None:
    values = [f"many-{index}-{uuid.uuid4().hex}" for index in range(20)]
    register_secret_values(values)

    get_logger("tests.many").info("many", note=f"x{values[13]}y", clean="nothing here")

    output = log_stream.getvalue()
    assert all(value not in output for value in values)
    assert json.loads(output)["note"] == "x***y"
    assert json.loads(output)["clean"] == "nothing here"


def test_a_broken_stream_does_not_raise_from_the_log_call(
    log_stream: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    log_stream.close()

    get_logger("tests.broken").info("nowhere_to_go")  # reported, not raised

    assert "Logging error" in capsys.readouterr().err
