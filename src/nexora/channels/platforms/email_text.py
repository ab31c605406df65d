"""The text of an incoming mail: its plain part (or its HTML, flattened), without the quoted
history a mail client appends under a reply."""

from __future__ import annotations

import re
from email.message import EmailMessage
from html.parser import HTMLParser

# "On Mon, 3 Mar 2025 at 10:00, Ada <ada@example.com> wrote:" — clients may wrap it once.
ATTRIBUTION = re.compile(r"^On\s.*\swrote:\s*$", re.IGNORECASE | re.DOTALL)
HISTORY_MARKERS = ("-----original message-----",)
# Not shown: page furniture, and <blockquote>, which is how HTML mail quotes the history.
HIDDEN = {"script", "style", "head", "blockquote"}
BLOCKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}


def plain_text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain", "html"))
    if not isinstance(part, EmailMessage):
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode(errors="replace") if isinstance(payload, bytes) else ""
    text = str(content)
    return _flattened(text) if part.get_content_subtype() == "html" else text


def without_quotes(text: str) -> str:
    """Cuts the quoted history: from the "On ... wrote:" line (or an Outlook "Original
    Message" divider, or a signature's "-- ") on, and every line quoted with ">"."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        wrapped = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else ""
        if ATTRIBUTION.match(stripped) or (
            stripped.lower().startswith("on ") and ATTRIBUTION.match(wrapped)
        ):
            break
        if stripped.lower() in HISTORY_MARKERS or line.rstrip("\r") == "-- ":  # signature
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


class _Flattener(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self._hidden += 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _flattened(html: str) -> str:
    parser = _Flattener()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
