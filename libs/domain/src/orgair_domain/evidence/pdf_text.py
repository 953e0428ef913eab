"""The text of a PDF, with pypdf (pure Python: no native parser to exploit or build).

An encrypted PDF is refused rather than opened with an empty password: a document
someone protected is not evidence to copy out silently, and decrypting needs an
optional crypto dependency. A PDF pypdf cannot parse is refused as malformed; pypdf
raises many kinds of exception on broken or hostile files, so every exception from
reading counts as that (the refusal names the kind, never the file's content).
"""

from __future__ import annotations

import io

from pypdf import PdfReader

from orgair_domain.errors import Unprocessable


def _malformed(reason: str) -> Unprocessable:
    return Unprocessable(
        "Evidence document malformed",
        f"the PDF could not be read ({reason})",
        code="evidence-malformed",
    )


def pdf_text(data: bytes, *, max_chars: int) -> tuple[str, str | None]:
    """(text, title) of a PDF, pages separated by blank lines; reading stops once the
    text is longer than `max_chars` (the caller refuses it then)."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Unprocessable(
                "Evidence document encrypted",
                "the PDF is encrypted; upload a copy without a password or restrictions",
                code="evidence-encrypted",
            )
        pages: list[str] = []
        length = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            pages.append(text)
            length += len(text) + 2
            if length > max_chars:
                break
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Unprocessable:
        raise
    except Exception as exc:  # pypdf's failures on bad input have no common base class
        raise _malformed(type(exc).__name__) from None
    clean_title = " ".join(str(title).split()) if title else None
    return "\n\n".join(pages), clean_title or None
