"""configure_logging: one JSON object per line with the platform's standard fields."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import structlog

from orgair_observability import configure_logging, get_logger

from .conftest import LogLines

STANDARD_KEYS = {"timestamp", "level", "event", "service", "correlation_id", "trace_id", "span_id"}


def test_structlog_line_is_json_with_standard_keys(log_lines: LogLines) -> None:
    get_logger("tests.logging").info("company_scored", company="acme", score=71.5)

    [line] = log_lines()
    assert line.keys() >= STANDARD_KEYS
    assert line["event"] == "company_scored"
    assert line["level"] == "info"
    assert line["service"] == "test-service"
    assert line["logger"] == "tests.logging"
    assert (line["company"], line["score"]) == ("acme", 71.5)
    # Nothing bound, no span: the keys are present and null.
    assert line["correlation_id"] is None
    assert line["trace_id"] is None
    assert line["span_id"] is None


def test_timestamp_is_iso8601_utc(log_lines: LogLines) -> None:
    before = datetime.now(UTC)
    get_logger().warning("clock_check")
    after = datetime.now(UTC)

    [line] = log_lines()
    # Fixed width (six fractional digits, "Z"), so lines sort as text.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", line["timestamp"])
    stamp = datetime.fromisoformat(line["timestamp"])
    assert stamp.utcoffset() == timedelta(0)
    assert before <= stamp <= after
    assert line["level"] == "warning"


def test_stdlib_records_come_out_as_the_same_json(log_lines: LogLines) -> None:
    structlog.contextvars.bind_contextvars(correlation_id="stdlib-correlation-1")
    try:
        logging.getLogger("sqlalchemy.engine").warning("pool %s exhausted", "primary")
    finally:
        structlog.contextvars.unbind_contextvars("correlation_id")

    [line] = log_lines()
    assert line.keys() >= STANDARD_KEYS
    assert line["event"] == "pool primary exhausted"
    assert line["logger"] == "sqlalchemy.engine"
    assert line["level"] == "warning"
    assert line["correlation_id"] == "stdlib-correlation-1"


def test_uvicorn_handlers_are_replaced_by_the_root_handler(log_stream: io.StringIO) -> None:
    uvicorn_logger = logging.getLogger("uvicorn.error")
    foreign_stream = io.StringIO()
    uvicorn_logger.addHandler(logging.StreamHandler(foreign_stream))
    uvicorn_logger.propagate = False

    configure_logging(service="test-service", level="DEBUG", stream=log_stream)
    uvicorn_logger.info("Started server process", extra={"color_message": "\x1b[32mStarted\x1b[0m"})

    assert foreign_stream.getvalue() == ""
    [line] = [json.loads(text) for text in log_stream.getvalue().splitlines()]
    assert line["event"] == "Started server process"
    assert "color_message" not in line


def test_configuring_twice_does_not_duplicate_lines(log_stream: io.StringIO) -> None:
    configure_logging(service="test-service", level="DEBUG", stream=log_stream)
    configure_logging(service="test-service", level="DEBUG", stream=log_stream)

    get_logger().info("only_once")
    logging.getLogger("celery").info("also_once")

    events = [json.loads(text)["event"] for text in log_stream.getvalue().splitlines()]
    assert events == ["only_once", "also_once"]


def test_reconfiguring_applies_to_loggers_created_earlier(log_stream: io.StringIO) -> None:
    early_logger = get_logger("tests.early")
    early_logger.info("before")
    configure_logging(service="renamed-service", level="DEBUG", stream=log_stream)
    early_logger.info("after")

    services = [json.loads(text)["service"] for text in log_stream.getvalue().splitlines()]
    assert services == ["test-service", "renamed-service"]


def test_level_filters_structlog_and_stdlib(log_stream: io.StringIO) -> None:
    configure_logging(service="test-service", level="WARNING", stream=log_stream)
    get_logger().info("dropped")
    logging.getLogger("uvicorn").info("dropped too")
    get_logger().error("kept")

    events = [json.loads(text)["event"] for text in log_stream.getvalue().splitlines()]
    assert events == ["kept"]


def test_exception_is_rendered_in_the_exception_field(log_lines: LogLines) -> None:
    def fail() -> None:
        raise ZeroDivisionError("division by zero in test")

    try:
        fail()
    except ZeroDivisionError:
        get_logger().exception("scoring_failed")

    [line] = log_lines()
    assert line["level"] == "error"
    assert "Traceback (most recent call last)" in line["exception"]
    assert "ZeroDivisionError: division by zero in test" in line["exception"]
    assert "in fail" in line["exception"]


def test_stdlib_exception_is_rendered_in_the_exception_field(log_lines: LogLines) -> None:
    try:
        raise KeyError("missing-thing")
    except KeyError:
        logging.getLogger("celery.worker").exception("task crashed")

    [line] = log_lines()
    assert line["event"] == "task crashed"
    assert "KeyError: 'missing-thing'" in line["exception"]


def test_console_format_is_readable_text(log_stream: io.StringIO) -> None:
    configure_logging(service="console-service", level="INFO", fmt="console", stream=log_stream)
    get_logger("tests.console").info("console_event", password="hunter2-console")

    output = log_stream.getvalue()
    assert "console_event" in output
    assert "service=console-service" in output
    assert "hunter2-console" not in output
    with pytest.raises(json.JSONDecodeError):
        json.loads(output.splitlines()[0])


def test_unknown_level_or_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log level"):
        configure_logging(service="x", level="LOUD")
    with pytest.raises(ValueError, match="log format"):
        configure_logging(service="x", fmt="xml")  # type: ignore[arg-type]


def test_unserializable_values_do_not_break_the_line(log_lines: LogLines) -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque>"

    get_logger().info("odd_values", thing=Opaque(), huge=2**70, keys={1: "one"})

    [line] = log_lines()
    assert line["thing"] == "<Opaque>"
    assert line["huge"] == 2**70
    assert line["keys"] == {"1": "one"}


def test_refused_configuration_leaves_the_previous_one_in_place(log_lines: LogLines) -> None:
    with pytest.raises(ValueError):
        configure_logging(service="broken", fmt="xml")  # type: ignore[arg-type]
    get_logger().info("still_configured")

    [line] = log_lines()
    assert line["service"] == "test-service"
