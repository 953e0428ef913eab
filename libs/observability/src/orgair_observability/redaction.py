"""Keep secrets out of log lines.

Two independent layers:

* `redact_secrets` is a structlog processor that masks values by the *name* of
  their key (``password``, ``SECRET_KEY``, ``x_api_key`` …) and renders pydantic
  secret types as ``**********`` wherever they appear.
* `register_secret_values` records the literal secret strings a process knows
  (`setting_secrets.secret_values`: its settings' secrets and URL passwords);
  `scrub_registered_secrets` replaces them in the finished line. It catches a
  secret that slipped in under an innocent key, inside an exception message or in
  a third-party library's log record, and does the same for any other text shown
  to an operator (the init job's error lines).

`mask_url_password` gives a connection URL that is safe to print.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

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


# Log lines reuse a small set of field names: the verdict is remembered per name
# (bounded, so names built from data cannot grow it without limit).
_SENSITIVITY: dict[str, bool] = {}
_MAX_REMEMBERED_KEYS = 4096


def is_sensitive_key(key: object) -> bool:
    """True when a value stored under `key` must not be logged."""
    if type(key) is not str:
        return isinstance(key, str) and SENSITIVE_KEY_PATTERN.search(key) is not None
    verdict = _SENSITIVITY.get(key)
    if verdict is None:
        verdict = SENSITIVE_KEY_PATTERN.search(key) is not None
        if len(_SENSITIVITY) < _MAX_REMEMBERED_KEYS:
            _SENSITIVITY[key] = verdict
    return verdict


def _mask_value(value: Any) -> Any:
    # `None` and booleans say only whether something is configured, never what it is.
    if value is None or isinstance(value, bool):
        return value
    return REDACTED


# Values that can hold nothing to mask: passed through without further checks
# (exact types only; a subclass of `str` still takes the full path).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), bytes})


def _redact(value: Any) -> Any:
    """A redacted copy of `value`; containers are rebuilt, never mutated in place,
    because they may belong to the caller (a headers dict, a request body)."""
    if type(value) in _PLAIN_TYPES:
        return value
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


# A log call site writes the same field names every time: the sensitive names among
# them are remembered per tuple of names, in order (bounded, as above).
_SENSITIVE_NAMES_OF: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_MAX_REMEMBERED_NAME_SETS = 4096


def redact_secrets(_logger: WrappedLogger, _method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask sensitive keys (at any depth) and pydantic secrets."""
    names = tuple(event_dict)
    sensitive = _SENSITIVE_NAMES_OF.get(names)
    if sensitive is None:
        sensitive = tuple(name for name in names if is_sensitive_key(name))
        if len(_SENSITIVE_NAMES_OF) < _MAX_REMEMBERED_NAME_SETS:
            _SENSITIVE_NAMES_OF[names] = sensitive
    for name in sensitive:
        event_dict[name] = _mask_value(event_dict[name])
    # Nearly every line holds plain values only (masked ones are plain now): one
    # C-level pass settles that; otherwise the values that are not plain are walked.
    if not _PLAIN_TYPES.issuperset(map(type, event_dict.values())):
        for key, value in event_dict.items():
            if type(value) not in _PLAIN_TYPES:
                event_dict[key] = _redact(value)
    return event_dict


class _SecretValueRegistry:
    """Process-wide, append-only set of literal secrets to scrub from rendered lines."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        # Replaced whole on registration (never mutated), so `scrub` reads a
        # consistent pair without taking the lock.
        self._matcher: tuple[tuple[str, ...], re.Pattern[str]] | None = None

    def register(self, values: Iterable[str]) -> None:
        with self._lock:
            before = len(self._values)
            for value in values:
                if len(value) < MIN_REGISTERED_SECRET_LENGTH:
                    continue
                self._values.update(_spellings(value))
            if len(self._values) != before:
                # Longest first, so a secret that contains another is replaced whole.
                alternatives = tuple(sorted(self._values, key=len, reverse=True))
                pattern = re.compile("|".join(map(re.escape, alternatives)))
                self._matcher = (alternatives, pattern)

    def scrub(self, line: str) -> str:
        matcher = self._matcher
        if matcher is None:
            return line
        alternatives, pattern = matcher
        # Nearly every line holds no secret: a substring test per spelling (a C-level
        # search each) settles that several times faster than the alternation regex,
        # which then runs only on the rare line that needs replacing.
        for alternative in alternatives:
            if alternative in line:
                return pattern.sub(REDACTED, line)
        return line


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


def mask_url_password(url: str) -> str:
    """`url` with its password (if any) shown as ``***``; the user name stays."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # not a URL: nothing to mask by position
        return url
    if password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{user}:{REDACTED}@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
