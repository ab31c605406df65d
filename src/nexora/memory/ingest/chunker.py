"""Documents into chunks for archival memory: split at headings and paragraphs, packed up to a
size, with a little of the previous chunk repeated at the start of the next.

Sizes are in characters, which track tokens closely enough for both English (about four
characters a token) and Chinese (about one): a bound, not a budget. A chunk never spans two
sections (pages, slides, sheets) or two headings, so its page and heading are exact; the
overlap only joins pieces of one long passage, where a sentence may straddle the cut."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from nexora.memory.ingest.document import Document, Section

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# A sentence with what follows it: ends at . ! ? ; and a space, or at a CJK full stop.
_SENTENCE = re.compile(r".+?(?:[.!?;](?:\s+|$)|[。！？；]\s*|$)", re.DOTALL)  # noqa: RUF001
_SENTENCE_BREAK = re.compile(r"[.!?;]\s+|[。！？；]\s*")  # noqa: RUF001
_WORD_BREAK = re.compile(r"[\s，、,:]+")  # noqa: RUF001


@dataclass(frozen=True, slots=True)
class ChunkSettings:
    max_chars: int = 1200
    overlap: int = 150

    def __post_init__(self) -> None:
        if self.max_chars < 100 or not 0 <= self.overlap < self.max_chars // 2:
            raise ValueError("chunks need max_chars >= 100 and 0 <= overlap < max_chars / 2")


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    position: int  # index within the document, from 0
    meta: dict[str, Any] = field(default_factory=dict)  # page/slide/sheet, section heading


@dataclass(frozen=True, slots=True)
class _Block:
    text: str
    headings: tuple[str, ...]  # the heading path this block sits under
    is_heading: bool


def chunk_document(document: Document, settings: ChunkSettings | None = None) -> list[Chunk]:
    settings = settings or ChunkSettings()
    chunks: list[Chunk] = []
    for section in document.sections:
        for text, headings in _pack(_blocks(section), settings):
            meta: dict[str, Any] = dict(section.where)
            if headings:
                meta["section"] = " > ".join(headings)
            chunks.append(Chunk(text, len(chunks), meta))
    return chunks


def _blocks(section: Section) -> Iterator[_Block]:
    """Headings and paragraphs (runs of non-blank lines), each with its heading path."""
    path: list[tuple[int, str]] = []
    paragraph: list[str] = []

    def flush() -> Iterator[_Block]:
        if paragraph:
            yield _Block("\n".join(paragraph).strip(), tuple(t for _, t in path), False)
            paragraph.clear()

    for line in section.text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            yield from flush()
            level = len(heading.group(1))
            path[:] = [(lvl, title) for lvl, title in path if lvl < level]
            path.append((level, heading.group(2)))
            yield _Block(line.strip(), tuple(t for _, t in path), True)
        elif line.strip():
            paragraph.append(line.rstrip())
        else:
            yield from flush()
    yield from flush()


def _pack(
    blocks: Iterator[_Block], settings: ChunkSettings
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Chunks of one section with the heading path each one starts under."""
    parts: list[str] = []
    headings: tuple[str, ...] = ()
    only_headings = True  # a chunk of headings alone waits for its first paragraph

    def size() -> int:
        return sum(len(p) for p in parts) + 2 * max(0, len(parts) - 1)

    for block in blocks:
        if block.is_heading and parts and not only_headings:
            yield "\n\n".join(parts), headings
            parts, only_headings = [], True
        if not parts or (only_headings and not block.is_heading):
            # A chunk is named by where its first paragraph sits, below its headings.
            headings = block.headings
        # Room for the overlap and its separator, so a piece always fits after a flush.
        for piece in _pieces(block.text, settings.max_chars - settings.overlap - 2):
            if parts and size() + 2 + len(piece) > settings.max_chars:
                text = "\n\n".join(parts)
                yield text, headings
                tail = _tail(text, settings.overlap)
                parts = [tail] if tail else []
                headings = block.headings
            parts.append(piece)
        only_headings = only_headings and block.is_heading
    if parts:  # a section of headings alone still says something
        yield "\n\n".join(parts), headings


def _pieces(text: str, limit: int) -> Iterator[str]:
    """`text` cut to at most `limit` characters: at line ends, then sentence ends, then
    anywhere (a long run of text with neither). Only whitespace at the cuts is dropped."""
    if len(text) <= limit:
        yield text
        return
    for unit in _fit(text.splitlines(keepends=True), limit):
        if len(unit) <= limit:
            yield unit.strip()
            continue
        for piece in _fit(_SENTENCE.findall(unit), limit):
            for start in range(0, len(piece), limit):
                yield piece[start : start + limit].strip()


def _fit(units: list[str], limit: int) -> Iterator[str]:
    """Consecutive units joined while they fit in `limit`; a unit too long alone on its own."""
    current = ""
    for unit in units:
        if current and len(current) + len(unit) > limit:
            yield current
            current = ""
        current += unit
    if current:
        yield current


def _tail(text: str, overlap: int) -> str:
    """The last `overlap` characters of `text`, from a sentence start when one falls inside
    them, else from a word start, so the repeated part does not begin mid-word."""
    if overlap <= 0:
        return ""
    tail = text[-overlap:]
    for boundary in (_SENTENCE_BREAK, _WORD_BREAK):
        cut = boundary.search(tail)
        if cut is not None and cut.end() < len(tail):
            return tail[cut.end() :].strip()
    return tail.strip()
