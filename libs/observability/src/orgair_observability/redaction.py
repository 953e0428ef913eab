"""Keep secrets out of log lines.

Two independent layers:

* `redact_secrets` is a structlog processor that masks values by the *name* of
  their key (``password``, ``SECRET_KEY``, ``x_api_key`` …) and renders pydantic
  secret types as ``**********`` wherever they appear.
* `register_secret_values` records the literal secret strings a process knows
  (its settings' `SecretStr` values); `scrub_registered_secrets` replaces them
  in the finished line. It catches a secret that slipped in under an innocent
  key, inside an exception message or in a third-party library's log record.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import orjson
from pydantic import Secret, SecretBytes, SecretStr
from structlog.typing import EventDict, WrappedLogger

REDACTED = "***"
# What pydantic itself prints for a secret; kept so a SecretStr looks the same
# in a log line as in `repr(settings)`.
SECRET_TYPE_MASK = "**********"  # noqa: S105 (a mask, not a credential)
# Shorter literals would shred ordinary words ("test" is a default credential).
MIN_REGISTERED_SECRET_LENGTH = 8

# Substring match, case-insensitive: `SECRET_KEY`, `x_api_key`, `db_password`,
# `Authorization`. A bare `key` must stand as its own word (`key`, `cache_key`,
# `private-key`) so that `monkey` or `keyboard_layout` stay readable.
SENSITIVE_KEY_PATTERN = re.compile(
    r"password|passwd|secret|token|api[-_]?key|authorization|cookie|credential"
    r"|(?<![a-z])key(?![a-z])",
    re.IGNORECASE,
)

_SECRET_TYPES = (SecretStr, SecretBytes, Secret)


def is_sensitive_key(key: object) -> bool:
    """True when a value stored under `key` must not be logged."""
    return isinstance(key, str) and SENSITIVE_KEY_PATTERN.search(key) is not None


def _mask_value(value: Any) -> Any:
    # `None` and booleans say only whether something is configured, never what it is.
    if value is None or isinstance(value, bool):
        return value
    return REDACTED


def _redact(value: Any) -> Any:
    """A redacted copy of `value`; containers are rebuilt, never mutated in place,
    because they may belong to the caller (a headers dict, a request body)."""
    if isinstance(value, _SECRET_TYPES):
        return SECRET_TYPE_MASK
    if isinstance(value, Mapping):
        return {
            key: _mask_value(item) if is_sensitive_key(key) else _redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact(item) for item in value]
    return value


def redact_secrets(_logger: WrappedLogger, _method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask sensitive keys (at any depth) and pydantic secrets."""
    for key, value in event_dict.items():
        if is_sensitive_key(key):
            event_dict[key] = _mask_value(value)
        else:
            event_dict[key] = _redact(value)
    return event_dict


class _SecretValueRegistry:
    """Process-wide, append-only set of literal secrets to scrub from rendered lines."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def register(self, values: Iterable[str]) -> None:
        with self._lock:
            before = len(self._values)
            for value in values:
                if len(value) < MIN_REGISTERED_SECRET_LENGTH:
                    continue
                self._values.update(_spellings(value))
            if len(self._values) != before:
                # Longest first, so a secret that contains another is replaced whole.
                alternatives = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(re.escape, alternatives)))

    def scrub(self, line: str) -> str:
        pattern = self._pattern
        if pattern is None:
            return line
        return pattern.sub(REDACTED, line)


def _spellings(value: str) -> set[str]:
    """`value` as it can appear in a line: verbatim, JSON-escaped, percent-encoded."""
    spellings = {value}
    json_escaped = orjson.dumps(value).decode()[1:-1]
    percent_encoded = quote(value, safe="")
    for variant in (json_escaped, percent_encoded):
        if len(variant) >= MIN_REGISTERED_SECRET_LENGTH:
            spellings.add(variant)
    return spellings


_registry = _SecretValueRegistry()


def register_secret_values(values: Iterable[str]) -> None:
    """Replace these literal strings with ``***`` in every rendered log line.

    Values shorter than 8 characters are ignored: masking them would mangle
    unrelated text. Registration is process-wide and cannot be undone.
    """
    _registry.register(values)


def scrub_registered_secrets(line: str) -> str:
    """`line` with every registered secret value replaced by ``***``."""
    return _registry.scrub(line)
