"""Turn a settings `ValidationError` into one readable line per problem.

The lines name the variable and never echo its value: a mistyped secret is
still a secret.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar, overload

from pydantic import ValidationError

from orgair_config.settings import ScoringSettings, Settings, get_settings

SettingsT = TypeVar("SettingsT", bound=ScoringSettings)

_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def describe_validation_error(error: ValidationError) -> list[str]:
    """One line per problem, each starting with the variable it is about."""
    lines: list[str] = []
    for item in error.errors(include_input=False, include_url=False):
        message = str(item["msg"])
        for prefix in _PYDANTIC_PREFIXES:
            message = message.removeprefix(prefix)
        location = ".".join(str(part) for part in item["loc"])
        for line in message.splitlines():
            # Model-level rules already name their variable at the start of the line.
            lines.append(f"{location}: {line}" if location else line)
    return lines


class SettingsError(Exception):
    """Settings could not be loaded; `lines` says why, one problem per line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@overload
def load_settings() -> Settings: ...
@overload
def load_settings(factory: Callable[[], SettingsT]) -> SettingsT: ...
def load_settings(factory: Callable[[], ScoringSettings] = get_settings) -> ScoringSettings:
    """`factory()`, raising `SettingsError` with readable lines on bad input."""
    try:
        return factory()
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None


@overload
def load_settings_or_exit(service: str) -> Settings: ...
@overload
def load_settings_or_exit(service: str, factory: Callable[[], SettingsT]) -> SettingsT: ...
def load_settings_or_exit(
    service: str, factory: Callable[[], ScoringSettings] = get_settings
) -> ScoringSettings:
    """For process entry points: print one line per problem and exit 2, no traceback."""
    try:
        return load_settings(factory)
    except SettingsError as exc:
        fail(service, exc.lines)


def fail(service: str, lines: list[str]) -> NoReturn:
    for line in lines:
        print(f"{service}: configuration error: {line}", file=sys.stderr)  # noqa: T201
    raise SystemExit(2)
