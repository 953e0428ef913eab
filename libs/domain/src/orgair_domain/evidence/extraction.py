"""From an evidence item's content to the text that is indexed, cited and shown.

Documents are read by their sniffed type (`sniffing`): PDF by pypdf, HTML by the
standard library's parser, plain text after charset detection. Every text (notes and
excerpts too) is then normalised the same way — newlines unified, control characters
dropped, runs of blanks collapsed, Unicode composed (NFC) — so search, chunk
boundaries and quoted excerpts behave alike whatever the source. Text longer than
`EVIDENCE_MAX_TEXT_CHARS`, or none at all (a scanned PDF), is refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from orgair_domain.errors import Unprocessable
from orgair_domain.evidence.html_text import html_text
from orgair_domain.evidence.pdf_text import pdf_text
from orgair_domain.evidence.sniffing import HTML, PDF
from orgair_domain.evidence.text_decoding import decode_text

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BLANKS = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_SPACE_AROUND_NEWLINE = re.compile(r" *\n *")
_MANY_NEWLINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class ExtractedText:
    text: str
    title: str | None  # the document's own title (HTML <title>, PDF metadata), if any


def normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    text = _SPACE_AROUND_NEWLINE.sub("\n", _BLANKS.sub(" ", text))
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def checked(text: str, *, max_chars: int) -> str:
    """The normalised text; Unprocessable when it is empty or longer than `max_chars`."""
    clean = normalise(text)
    if not clean:
        raise Unprocessable(
            "Evidence has no text",
            "no text could be extracted (a scanned PDF needs text recognition first)",
            code="evidence-no-text",
        )
    if len(clean) > max_chars:
        raise Unprocessable(
            "Evidence text too long",
            f"the text has more than {max_chars} characters (EVIDENCE_MAX_TEXT_CHARS)",
            code="evidence-text-too-long",
            max_chars=max_chars,
        )
    return clean


def extract(data: bytes, media_type: str, *, max_chars: int) -> ExtractedText:
    """The checked text of a document whose type `sniffing.sniff` established."""
    title: str | None
    if media_type == PDF:
        raw, title = pdf_text(data, max_chars=max_chars)
    elif media_type == HTML:
        raw, title = html_text(data)
    else:
        raw, title = decode_text(data), None
    return ExtractedText(checked(raw, max_chars=max_chars), title)
