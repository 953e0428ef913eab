"""Input value types every schema shares, so that each bound lives in one place.

* `StoredCount`: a count the database can store. Every backend holds at least SQL
  ``INTEGER`` (PostgreSQL's is 32-bit; SQLite's 64; Snowflake's NUMBER(38)), so an
  integer input is bounded by ``2**31 - 1``: a larger one is a 422 naming the field,
  never a driver's ``OverflowError`` (a 500).
* `PageNumber`: a 1-based page; with at most 100 items a page, its offset stays far
  inside the 64-bit range of SQL ``OFFSET``.
* `IsoDate`: a day written YYYY-MM-DD, as documented (not a Unix time, not a date-time).
* `VISIBLE_TEXT` / `VISIBLE_MULTILINE_TEXT` (metadata for ``Annotated[str, ...]``):
  text a reader can see as it is stored. Refused:
  control characters (NUL and the C0/C1 ranges; tab and line breaks only in
  multi-line text), format characters (zero-width space and joiners, the
  right-to-left override and every other bidirectional control, the soft hyphen,
  the byte-order mark, tag characters), line and paragraph separators, and lone
  surrogates. Such characters make one name look like another, reorder what a
  reviewer reads ("Trojan Source"), or break the CSV and logs a name ends up in.

The refused characters are Unicode's categories Cc, Cf, Cs, Zl and Zp, listed below
as code point ranges (computed once from `unicodedata`; a test recomputes them), so
nothing walks the Unicode table at import.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "INVISIBLE_RANGES",
    "MAX_STORED_INT",
    "VISIBLE_MULTILINE_TEXT",
    "VISIBLE_TEXT",
    "IsoDate",
    "PageNumber",
    "StoredCount",
    "VisibleText",
    "find_invisible",
]

MAX_STORED_INT = 2**31 - 1

StoredCount = Annotated[int, Field(ge=0, le=MAX_STORED_INT)]
PageNumber = Annotated[int, Field(ge=1, le=MAX_STORED_INT)]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: object) -> object:
    # pydantic would also take a number (Unix time) or `2026-01-01T00:00` for a date;
    # the document says YYYY-MM-DD, so that is what is accepted.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or _ISO_DATE.fullmatch(value) is None:
        raise PydanticCustomError("date_format", "must be a date written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]

# Categories Cc, Cf, Cs, Zl, Zp (Unicode 14, Python 3.11), inclusive ranges.
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x0600, 0x0605),
    (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891),
    (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xD800, 0xDFFF), (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
_LINE_BREAKS = frozenset("\t\n\r")


def _escape(code_point: int) -> str:
    return f"\\u{code_point:04x}" if code_point <= 0xFFFF else f"\\U{code_point:08x}"


def _character_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(
        _escape(low) if low == high else f"{_escape(low)}-{_escape(high)}" for low, high in ranges
    )


_INVISIBLE = re.compile(f"[{_character_class(INVISIBLE_RANGES)}]")


def _json_schema_pattern(*, allow_line_breaks: bool) -> str:
    """The same rule for the OpenAPI document, in the regex dialect JSON Schema uses
    (ECMA-262): its ``\\u`` escapes reach the Basic Multilingual Plane only, and
    without the ``u`` flag a character beyond it is a surrogate pair, so surrogates
    and the few format characters above U+FFFF are left to the validator."""
    ranges: list[tuple[int, int]] = []
    for low, high in INVISIBLE_RANGES:
        if high > 0xFFFF or (low, high) == (0xD800, 0xDFFF):
            continue
        if allow_line_breaks and (low, high) == (0x0000, 0x001F):
            ranges.extend(((0x0000, 0x0008), (0x000B, 0x000C), (0x000E, 0x001F)))
        else:
            ranges.append((low, high))
    return f"^[^{_character_class(tuple(ranges))}]*$"


def find_invisible(text: str, *, allow_line_breaks: bool = False) -> int | None:
    """The index of the first refused character in `text`, or None."""
    for match in _INVISIBLE.finditer(text):
        if not (allow_line_breaks and match.group() in _LINE_BREAKS):
            return match.start()
    return None


class VisibleText:
    """Annotated metadata refusing the invisible characters in a string:
    ``Annotated[str, StringConstraints(max_length=255), VISIBLE_TEXT]``. It goes after
    the string's own constraints, which keep their messages; the OpenAPI schema
    gets the same rule as its ``pattern``."""

    def __init__(self, *, allow_line_breaks: bool) -> None:
        self.allow_line_breaks = allow_line_breaks
        self.pattern = _json_schema_pattern(allow_line_breaks=allow_line_breaks)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema

    def _check(self, text: object) -> object:
        # Around an optional string (`Annotated[str | None, ..., VISIBLE_TEXT]`) the
        # check sees None too.
        if not isinstance(text, str):
            return text
        index = find_invisible(text, allow_line_breaks=self.allow_line_breaks)
        if index is not None:
            raise PydanticCustomError(
                "invisible_character",
                "must not contain control or invisible formatting characters "
                "(U+{code_point} at index {index})",
                {"code_point": f"{ord(text[index]):04X}", "index": index},
            )
        return text


# A name, a title, a one-line reason: no line breaks either.
VISIBLE_TEXT = VisibleText(allow_line_breaks=False)
# A description or a comment: tab and line breaks allowed.
VISIBLE_MULTILINE_TEXT = VisibleText(allow_line_breaks=True)
