"""The secret values of the settings: what log redaction must mask in this process.

Kept apart from `service` (the FastAPI wiring) so that a process without a web
framework, the worker, registers the same secrets.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from orgair_config import Settings

__all__ = ["secret_values"]


def _url_password(value: str) -> str | None:
    try:
        password = urlsplit(value).password
    except ValueError:  # not a URL (an unbalanced "[" for instance)
        return None
    return unquote(password) if password else None


def secret_values(settings: Settings) -> Iterator[str]:
    """Every secret in `settings`: each `SecretStr` value, and the password of any
    URL-valued setting (``REDIS_URL=redis://:pw@host`` is a plain string)."""
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            plain = value.get_secret_value()
            yield plain
        elif isinstance(value, str):
            plain = value
        else:
            continue
        password = _url_password(plain)
        if password:
            yield password
