"""Secrets never reach a log line: masked by key name, by type, and by registered value."""

from __future__ import annotations

import io
import logging
import uuid

import pytest
from pydantic import SecretStr

from orgair_observability import configure_logging, get_logger, register_secret_values
from orgair_observability.redaction import is_sensitive_key, mask_url_password

from .conftest import LogLines


def unique_secret(label: str) -> str:
    # Registration is process-wide; a fresh value keeps tests independent.
    return f"{label}-{uuid.uuid4().hex}"


@pytest.mark.parametrize(
    "key",
    ["password", "SECRET_KEY", "x_api_key", "apiKey", "Authorization", "refresh_token", "key"],
)
def test_sensitive_key_names(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", ["company", "monkey", "keyboard_layout", "event", "status"])
def test_ordinary_key_names(key: str) -> None:
    assert not is_sensitive_key(key)


def test_values_under_sensitive_keys_are_masked(log_lines: LogLines) -> None:
    get_logger().info(
        "login_attempt",
        user="ana",
        password="pa55word-plain",
        SECRET_KEY="signing-key-plain",
        x_api_key="api-key-plain",
    )

    [line] = log_lines()
    assert line["user"] == "ana"
    assert line["password"] == "***"
    assert line["SECRET_KEY"] == "***"
    assert line["x_api_key"] == "***"


def test_nested_values_are_masked_without_touching_the_callers_data(log_lines: LogLines) -> None:
    headers = {"Authorization": "Bearer abc.def.ghi", "Accept": "application/json"}
    payload = {"items": [{"token": "tok-1"}, {"name": "kept"}]}

    get_logger().info("outgoing_call", headers=headers, payload=payload)

    [line] = log_lines()
    assert line["headers"] == {"Authorization": "***", "Accept": "application/json"}
    assert line["payload"] == {"items": [{"token": "***"}, {"name": "kept"}]}
    # The caller's objects are still intact.
    assert headers["Authorization"] == "Bearer abc.def.ghi"
    assert payload["items"][0]["token"] == "tok-1"


def test_a_call_site_seen_before_is_redacted_by_its_values_too(log_lines: LogLines) -> None:
    # The sensitive names of a call site are remembered; its values are looked at on
    # every line (plain the first time, a secret inside a container the second).
    log = get_logger("tests.repeat")
    for details in ("plain", {"token": "nested-token-value"}, [SecretStr("in-a-list")]):
        log.info("repeated_call", details=details, password="same-site-password")

    first, second, third = log_lines()
    assert first["details"] == "plain"
    assert second["details"] == {"token": "***"}
    assert third["details"] == ["**********"]
    assert {line["password"] for line in (first, second, third)} == {"***"}


def test_absence_of_a_secret_stays_visible(log_lines: LogLines) -> None:
    get_logger().info("settings_loaded", openai_api_key=None, has_api_key=True)

    [line] = log_lines()
    assert line["openai_api_key"] is None
    assert line["has_api_key"] is True


def test_secretstr_is_always_masked(log_lines: LogLines) -> None:
    secret = SecretStr("plain-text-behind-secretstr")
    get_logger().info("connection", hints=[secret], dsn=secret)

    text = log_lines()
    [line] = text
    assert line["dsn"] == "**********"
    assert line["hints"] == ["**********"]
    assert "plain-text-behind-secretstr" not in str(text)


def test_registered_values_are_scrubbed_anywhere(log_stream: io.StringIO) -> None:
    secret = unique_secret("registered")
    register_secret_values([secret])

    get_logger().info(f"connecting with {secret}", url=f"redis://:{secret}@cache:6379/0")
    logging.getLogger("botocore").warning("signature %s rejected", secret)
    try:
        raise ConnectionError(f"auth failed for {secret}")
    except ConnectionError:
        get_logger().exception("connect_failed")

    output = log_stream.getvalue()
    assert secret not in output
    assert output.count("***") >= 4


def test_registered_value_is_scrubbed_in_its_json_escaped_form(log_stream: io.StringIO) -> None:
    secret = unique_secret('quote"and\\backslash')
    register_secret_values([secret])

    get_logger().info("escaped", note=f"value={secret}")

    output = log_stream.getvalue()
    assert secret not in output
    assert secret.replace("\\", "\\\\").replace('"', '\\"') not in output
    assert "value=***" in output


def test_short_values_are_not_registered(log_lines: LogLines) -> None:
    # "test" is a default development credential; masking it would mangle ordinary text.
    register_secret_values(["test"])
    get_logger().info("test run finished")

    [line] = log_lines()
    assert line["event"] == "test run finished"


def test_console_lines_are_scrubbed_too(log_stream: io.StringIO) -> None:
    secret = unique_secret("console")
    register_secret_values([secret])
    configure_logging(service="test-service", fmt="console", stream=log_stream)

    get_logger().info("console_line", detail=f"got {secret}")

    assert secret not in log_stream.getvalue()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2-pw@cache:6379/1", "redis://:***@cache:6379/1"),
        ("postgresql://orgair:hunter2-pw@db/orgair?x=1", "postgresql://orgair:***@db/orgair?x=1"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("http://[unbalanced", "http://[unbalanced"),
    ],
)
def test_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    assert mask_url_password(url) == shown
