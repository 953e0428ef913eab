"""Cutting an item's text into the chunks that search ranks and citations quote.

Chunks are contiguous and do not overlap, so an item's chunks in order are its whole
text (the text is stored once, as its chunks). Each is at most `size` characters,
cut at the last paragraph break in its second half if there is one, else the last
sentence end, else the last space, else (one very long word) at `size` exactly: a
chunk then reads as a passage, which is what a justification can quote.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?;:][\"')\]]*\s")


def _cut(text: str, start: int, size: int) -> int:
    end = start + size
    window = text[start:end]
    floor = size // 2
    paragraph = window.rfind("\n\n")
    if paragraph >= floor:
        return start + paragraph + 2
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() > floor]
    if sentence_ends:
        return start + sentence_ends[-1]
    space = max(window.rfind(" "), window.rfind("\n"))
    if space >= floor:
        return start + space + 1
    return end


def chunk_text(text: str, size: int) -> list[str]:
    """`text` as contiguous chunks of at most `size` characters ("".join gives it back)."""
    if size < 2:
        raise ValueError("chunk size must be at least 2 characters")
    chunks: list[str] = []
    start = 0
    while len(text) - start > size:
        end = _cut(text, start, size)
        chunks.append(text[start:end])
        start = end
    if start < len(text):
        chunks.append(text[start:])
    return chunks
