"""What a command-line entry point prints when something fails: one line, never a traceback.

The expected failures have their own words and exit codes (bad settings exit 2,
a dependency down in preflight exits 3, ...). `one_line_on_failure` is the last
resort around a whole command, for whatever was not foreseen: the exception's
type and the first line of its message, with any URL credentials and registered
secrets masked, and exit status 1.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from orgair_observability.redaction import REDACTED, scrub_registered_secrets

__all__ = ["describe_exception", "one_line_on_failure"]

MAX_DETAIL_CHARACTERS = 300
# `scheme://user:password@host`: the password goes, whatever the scheme.
_URL_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@")


def describe_exception(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """``Type: first line of the message`` (at most 300 characters), safe to print."""
    first_line = (str(exc).strip().splitlines() or [""])[0][:MAX_DETAIL_CHARACTERS]
    text = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _URL_CREDENTIALS.sub(rf"\g<head>{REDACTED}@", text)
    return scrub_registered_secrets(text)


@contextmanager
def one_line_on_failure(program: str) -> Iterator[None]:
    """Run the block; an unexpected exception is one line on stderr and exit 1."""
    try:
        yield
    except Exception as exc:
        print(f"{program}: {describe_exception(exc)}", file=sys.stderr)  # noqa: T201
        raise SystemExit(1) from None
