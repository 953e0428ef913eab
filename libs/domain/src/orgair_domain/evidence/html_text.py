"""The readable text of an HTML document, with the standard library's parser.

`html.parser` is lenient (it never raises on bad markup) and has no dependencies.
What a reader does not see is dropped: scripts, styles, templates, embedded objects
and the document head (except its title, kept apart as the document's title).
Block elements end lines so paragraphs stay paragraphs; entities are decoded.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from orgair_domain.evidence.text_decoding import decode_text

# Content never shown as text (void elements such as <img> have no content anyway).
_HIDDEN = frozenset(
    {"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object"}
)
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
        "table", "tr", "ul",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._hidden_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _HIDDEN:
            self._hidden_depth += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag in _CELLS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <hr/>: no content, so no end tag follows.
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif self._hidden_depth == 0:
            self.parts.append(data)


def html_text(data: bytes) -> tuple[str, str | None]:
    """(text, title) of an HTML document; the text still needs normalising."""
    declared = _META_CHARSET.search(data[:4096])
    markup = decode_text(data, declared_charset=declared.group(1).decode() if declared else None)
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    title = " ".join("".join(collector.title_parts).split())
    return "".join(collector.parts), title or None
