"""A document as text: its sections (pages, slides, sheets or the whole body) with where each
one sits, so a chunk can say which page or sheet it came from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from nexora.errors import InvalidInput

Location = dict[str, str | int]


class UnreadableDocument(InvalidInput):
    """A file that is not what its name says, is damaged, or has a type we do not read."""


@dataclass(frozen=True, slots=True)
class Section:
    text: str  # markdown-ish: headings start with '#'
    where: Location  # e.g. {"page": 3}, {"slide": 2}, {"sheet": "Budget"}; {} for the body


@dataclass(frozen=True, slots=True)
class Document:
    source: str  # what the chunks' `source` will say: a path, a URL, "feishu:docx/…"
    title: str
    media: str  # "pdf", "docx", "xlsx", "pptx", "markdown", "html", "text", "feishu"…
    sections: tuple[Section, ...]

    @property
    def content_hash(self) -> str:
        """Same text in the same places, same hash: an unchanged re-ingest is skipped whole."""
        digest = hashlib.sha256()
        for section in self.sections:
            digest.update(repr(sorted(section.where.items())).encode())
            digest.update(b"\0")
            digest.update(section.text.encode())
            digest.update(b"\0")
        return digest.hexdigest()

    @property
    def chars(self) -> int:
        return sum(len(s.text) for s in self.sections)
