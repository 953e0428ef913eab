"""What an uploaded file is, judged by its bytes, not by the name or type it came with.

A client's declared type is a claim: a renamed executable says `text/plain` as
easily as a PDF does. So the content decides, in the spirit of the WHATWG MIME
Sniffing Standard: a PDF starts with `%PDF-`; HTML starts (after a byte-order mark
and white space) with one of the tags the standard lists; text has no binary bytes.
Everything else is refused, named after its signature when it has a well-known one.

The declared type then only has to agree: PDF declared but text found (or the
reverse) is refused as a mismatch; HTML and plain text may stand for each other
(HTML is text; a text file may start with a tag), and the declared one of the two
wins. `application/octet-stream` or no type at all declares nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from orgair_domain.errors import UnsupportedContent

PDF = "application/pdf"
HTML = "text/html"
TEXT = "text/plain"
MEDIA_TYPES = (PDF, HTML, TEXT)

# Declared types (the multipart part's Content-Type, without parameters) → family.
_DECLARED: dict[str, str] = {
    "application/pdf": PDF,
    "application/x-pdf": PDF,
    "text/html": HTML,
    "application/xhtml+xml": HTML,
    "text/plain": TEXT,
    "text/markdown": TEXT,
    "text/csv": TEXT,
}
_UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})

# Signatures worth naming in the refusal (the rest is "binary content").
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (e.g. .docx, .xlsx, .pptx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office document (.doc, .xls)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "an executable (Windows)"),
    (b"{\\rtf", "an RTF document"),
)

# WHATWG: "binary data bytes" never appear in text. Deleting every other byte value
# (bytes.translate, at C speed) leaves something exactly when one is present.
_BINARY_BYTES = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_NOT_BINARY = bytes(value for value in range(256) if value not in _BINARY_BYTES)

# WHATWG's HTML patterns: each followed by a tag-terminating byte (space or ">").
_HTML_STARTS = tuple(
    tag.encode()
    for tag in (
        "<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font",
        "<table", "<a", "<style", "<title", "<b", "<body", "<br", "<p", "<!--",
    )
)  # fmt: skip
_TAG_TERMINATORS = frozenset(b" \t\n\x0c\r>")
_WHITESPACE = b" \t\n\x0c\r"


@dataclass(frozen=True)
class Sniffed:
    media_type: str  # one of MEDIA_TYPES
    declared: str | None  # what the client said, normalised; None when it said nothing


def _utf16_or_32(data: bytes) -> bool:
    return data.startswith((b"\xff\xfe", b"\xfe\xff"))


def _looks_like_html(data: bytes) -> bool:
    head = data.removeprefix(b"\xef\xbb\xbf").lstrip(_WHITESPACE)[:512].lower()
    for start in _HTML_STARTS:
        if head.startswith(start):
            following = head[len(start) : len(start) + 1]
            if following and following[0] in _TAG_TERMINATORS:
                return True
    return False


def _content_type(data: bytes) -> str:
    """The family the bytes belong to; UnsupportedContent when none."""
    if data.lstrip(_WHITESPACE).startswith(b"%PDF-"):
        return PDF
    if _utf16_or_32(data):
        return TEXT  # decoded by its byte-order mark; may still be HTML
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            raise UnsupportedContent(
                f"the file is {name}; evidence documents are PDF, HTML or plain text",
                code="evidence-unsupported-type",
                detected=name,
            )
    if data.translate(None, _NOT_BINARY):
        raise UnsupportedContent(
            "the file contains binary data; evidence documents are PDF, HTML or plain text",
            code="evidence-unsupported-type",
            detected="binary data",
        )
    return HTML if _looks_like_html(data) else TEXT


def normalise_declared(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def sniff(data: bytes, declared_content_type: str | None) -> Sniffed:
    """The media type to read `data` as, checked against what the client declared."""
    found = _content_type(data)
    declared = normalise_declared(declared_content_type)
    if declared in _UNDECLARED:
        return Sniffed(found, None)
    family = _DECLARED.get(declared)
    if family is None:
        raise UnsupportedContent(
            f"the declared type {declared!r} is not accepted; evidence documents are PDF, "
            "HTML or plain text",
            code="evidence-unsupported-type",
            declared=declared,
        )
    if family == found or {family, found} == {HTML, TEXT}:
        return Sniffed(family, declared)
    raise UnsupportedContent(
        f"the file was declared {declared} but its content is {found}",
        code="evidence-type-mismatch",
        declared=declared,
        detected=found,
    )
