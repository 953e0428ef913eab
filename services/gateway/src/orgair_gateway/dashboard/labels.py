"""How API keys read on a page: `data_infrastructure` as "Data infrastructure",
`ai_governance` as "AI governance" (one function for templates and charts alike)."""

from __future__ import annotations

from typing import Any

__all__ = ["label"]

# Words that are abbreviations, written as people write them.
_UPPER = frozenset({"ai", "ev", "usd", "hhi", "ci", "id", "ic", "csv", "json", "llm", "url"})


def label(key: Any) -> str:
    words = str(key).replace("_", " ").split()
    shown = [word.upper() if word.lower() in _UPPER else word for word in words]
    text = " ".join(shown)
    return text[:1].upper() + text[1:]
