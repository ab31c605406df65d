"""HTML to readable text for the model: headings, paragraphs, list items and links kept,
scripts, styles and markup dropped. The standard library's parser is lenient enough for
real pages, and this is all `web_fetch` needs from one."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "canvas"})
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_ITEMS = frozenset({"li", "dt", "dd", "tr"})
_SPACES = re.compile(r"[ \t\r\f\v\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Marks a line inside <pre>, whose indentation is meaning (code), not markup layout.
_KEEP = "\x01"


class _Extractor(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.parts: list[str] = []
        self.title = ""
        self._skipping = 0
        self._in_title = False
        self._in_pre = 0
        self._href: str | None = None
        self._link_start = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag == "title":
            self._in_title = True
        elif tag in _BLOCKS:
            self.parts.append("\n")
            if tag.startswith("h") and tag[1:].isdigit():
                self.parts.append("#" * int(tag[1:]) + " ")
            elif tag == "li":
                self.parts.append("- ")
            elif tag == "pre":
                self._in_pre += 1
                self.parts.append(_KEEP)
        elif tag == "a":
            href = dict(attrs).get("href")
            if href and not href.startswith(("#", "javascript:", "mailto:")):
                self._href = urljoin(self.base_url, href)
                self._link_start = len(self.parts)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in _BLOCKS:
            if tag not in _ITEMS:  # consecutive items stay on consecutive lines
                self.parts.append("\n")
            if tag == "pre":
                self._in_pre = max(0, self._in_pre - 1)
        elif tag == "a" and self._href is not None:
            text = "".join(self.parts[self._link_start :]).strip()
            if text:
                del self.parts[self._link_start :]
                self.parts.append(f"[{text}]({self._href})")
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._in_title:
            self.title += data
            return
        if self._in_pre:
            self.parts.append(data.replace("\n", "\n" + _KEEP))
        else:
            self.parts.append(_SPACES.sub(" ", data))


def html_to_text(html: str, base_url: str = "") -> str:
    """Readable text of an HTML document; links become `[text](absolute url)`."""
    parser = _Extractor(base_url)
    parser.feed(html)
    parser.close()
    body = "".join(parser.parts)
    lines = (
        line[1:].rstrip() if line.startswith(_KEEP) else line.strip().replace(_KEEP, "")
        for line in body.split("\n")
    )
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    title = _SPACES.sub(" ", parser.title).strip()
    return f"# {title}\n\n{text}" if title else text
