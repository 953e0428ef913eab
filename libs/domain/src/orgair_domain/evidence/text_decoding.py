"""Bytes to text for plain-text and HTML evidence: which charset, and proof it is one.

In order: a byte-order mark decides; then the charset the document names (HTML's
`<meta charset>`), if it decodes the bytes; then UTF-8, strictly (most text today,
and invalid UTF-8 is very unlikely to be anything else by chance); then a statistical
guess (charset-normalizer, the detector `requests` uses) for legacy encodings such as
Windows-1252 or Shift-JIS. Where the guess is a tie between single-byte charsets that
all read the bytes equally well, Windows-1252 wins (the Web's default for unlabelled
text, WHATWG Encoding): "modèles" must not come back as Central European "modčles".
Bytes nothing decodes are refused, not mangled.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from orgair_domain.errors import Unprocessable

_WESTERN = "cp1252"

# Longest marks first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _undecodable(reason: str) -> Unprocessable:
    return Unprocessable(
        "Evidence text undecodable",
        f"the file's text could not be decoded ({reason}); save it as UTF-8 and upload again",
        code="evidence-undecodable",
    )


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_text(data: bytes, *, declared_charset: str | None = None) -> str:
    """The text of `data`; `declared_charset` is what the document itself says it uses."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return data[len(mark) :].decode(encoding)
            except UnicodeDecodeError:
                raise _undecodable(f"invalid {encoding} after its byte-order mark") from None
    candidates = [_known_codec(declared_charset), "utf-8"]
    for encoding in dict.fromkeys(c for c in candidates if c is not None):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    matches = from_bytes(data)
    guess = matches.best()
    if guess is None:
        raise _undecodable("no character set fits its bytes")
    tied = [m for m in matches if (m.chaos, m.coherence) == (guess.chaos, guess.coherence)]
    if any(_WESTERN in m.could_be_from_charset for m in tied):
        return data.decode(_WESTERN)
    return str(guess)
