"""Any supported file to a `Document`: PDF and Office files through the documents reader,
HTML to markdown-ish text, Markdown and plain text as they are.

Conversion is synchronous and CPU-bound: callers run it in a thread."""

from __future__ import annotations

from pathlib import Path

from nexora.memory.ingest.document import Document, Section, UnreadableDocument
from nexora.memory.ingest.limits import IngestLimits
from nexora.memory.ingest.office import SUFFIXES as OFFICE_AND_PDF
from nexora.memory.ingest.office import read_office

MARKDOWN = frozenset({".md", ".markdown"})
HTML = frozenset({".html", ".htm", ".xhtml"})
TEXT = frozenset({".txt", ".text", ".csv", ".tsv", ".log", ".rst", ".json", ".yaml", ".yml"})
SUPPORTED = OFFICE_AND_PDF | MARKDOWN | HTML | TEXT

# Media types a URL may answer with, mapped to the suffix whose reader handles them.
MEDIA_SUFFIX = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/markdown": ".md",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "application/json": ".json",
}
# Tried in order for text files: UTF-8 (with or without BOM), then the usual Chinese encoding.
_ENCODINGS = ("utf-8-sig", "gb18030")


def supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED


def convert_file(
    path: Path, source: str, limits: IngestLimits, name: str | None = None
) -> Document:
    """Reads `path` as the type its suffix (or `name`'s) says; `source` labels the chunks."""
    label = name or path.name
    suffix = Path(label).suffix.lower()
    limits.check_size(label, path.stat().st_size)
    title = Path(label).stem
    if suffix in OFFICE_AND_PDF:
        return Document(source, title, suffix[1:], tuple(read_office(path, label, limits)))
    if suffix not in SUPPORTED:
        raise UnreadableDocument(
            f"{label}: unsupported file type {suffix or '(none)'}; "
            f"supported: {', '.join(sorted(SUPPORTED))}"
        )
    text = decode(path.read_bytes())
    limits.check_chars(label, len(text))
    if suffix in HTML:
        from nexora.tools.builtin._html import html_to_text  # the one HTML reader, on demand

        text = html_to_text(text)
        media = "html"
        if text.startswith("# "):
            title = text.split("\n", 1)[0][2:].strip() or title
    else:
        media = "markdown" if suffix in MARKDOWN else "text"
    sections = (Section(text, {}),) if text.strip() else ()
    return Document(source, title, media, sections)


def decode(data: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")
