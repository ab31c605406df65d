"""Extract the text of a PDF, Word (.docx), Excel (.xlsx) or PowerPoint (.pptx) file.

Usage: python extract_text.py FILE [--pages 3-7] [--max-chars 200000]

Prints a header line, then the text with a marker before each page, slide or sheet, so a
summary can cite where things are. Office files are read with the standard library (they are
zipped XML); PDFs need the `pypdf` package. Exit status 2 means the file could not be read.

Nexora's document ingestion imports this file too (`parts`), so there is one reader of these
formats; it must keep working standalone, with the standard library and pypdf only.
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from xml.etree import ElementTree

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
MAX_SHEET_ROWS = 5000
MAX_XML_BYTES = 200 * 1024 * 1024  # a zip bomb posing as a document stops here
NO_TEXT = "[no text on this page: it may be a scanned image]"


class Unreadable(Exception):
    pass


class Part(NamedTuple):
    """A page, slide or sheet (`kind` and `label`, e.g. "page", "3 of 10"), or a whole Word
    document (`kind` empty), as lines of text; Word headings start with '#'."""

    kind: str
    label: str
    lines: list[str]

    @property
    def marker(self) -> str | None:
        return f"--- {self.kind} {self.label} ---" if self.kind else None


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    try:
        info = archive.getinfo(name)
    except KeyError as exc:
        raise Unreadable(f"{name} is missing: not a valid Office file") from exc
    if info.file_size > MAX_XML_BYTES:
        raise Unreadable(f"{name} is too large to read")
    # The standard parser neither fetches external entities nor expands nested ones
    # beyond expat's limits, which is what reading an untrusted document needs.
    return ElementTree.fromstring(archive.read(info))  # noqa: S314


def _text(node: ElementTree.Element, tag: str) -> str:
    return "".join(t.text or "" for t in node.iter(tag))


def docx(archive: zipfile.ZipFile) -> Iterator[Part]:
    yield Part("", "", list(_docx_lines(archive)))


def _docx_lines(archive: zipfile.ZipFile) -> Iterator[str]:
    body = _xml(archive, "word/document.xml").find("w:body", NS)
    if body is None:
        return
    for block in body:
        if block.tag == f"{{{NS['w']}}}p":
            yield _paragraph(block)
        elif block.tag == f"{{{NS['w']}}}tbl":
            for row in block.iter(f"{{{NS['w']}}}tr"):
                cells = [
                    " ".join(_paragraph(p) for p in cell.iter(f"{{{NS['w']}}}p")).strip()
                    for cell in row.iter(f"{{{NS['w']}}}tc")
                ]
                yield "| " + " | ".join(cells) + " |"


def _paragraph(paragraph: ElementTree.Element) -> str:
    parts: list[str] = []
    for node in paragraph.iter():
        if node.tag == f"{{{NS['w']}}}t":
            parts.append(node.text or "")
        elif node.tag == f"{{{NS['w']}}}tab":
            parts.append("\t")
        elif node.tag in (f"{{{NS['w']}}}br", f"{{{NS['w']}}}cr"):
            parts.append("\n")
    text = "".join(parts)
    style = paragraph.find("w:pPr/w:pStyle", NS)
    style_name = style.get(f"{{{NS['w']}}}val", "") if style is not None else ""
    level = re.fullmatch(r"Heading(\d)", style_name)
    return f"{'#' * int(level.group(1))} {text}" if level and text else text


def pptx(archive: zipfile.ZipFile) -> Iterator[Part]:
    slides = sorted(
        (n for n in archive.namelist() if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)),
        key=lambda n: int(re.sub(r"\D", "", n)),
    )
    for number, name in enumerate(slides, start=1):
        paragraphs = _xml(archive, name).iter(f"{{{NS['a']}}}p")
        texts = (_text(paragraph, f"{{{NS['a']}}}t").strip() for paragraph in paragraphs)
        yield Part("slide", str(number), [text for text in texts if text])


def xlsx(archive: zipfile.ZipFile) -> Iterator[Part]:
    shared: list[str] = []
    if "xl/sharedStrings.xml" in archive.namelist():
        strings = _xml(archive, "xl/sharedStrings.xml")
        shared = [_text(si, f"{{{NS['s']}}}t") for si in strings.findall("s:si", NS)]
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in _xml(archive, "xl/_rels/workbook.xml.rels").findall("rel:Relationship", NS)
    }
    for sheet in _xml(archive, "xl/workbook.xml").iterfind("s:sheets/s:sheet", NS):
        target = targets.get(sheet.get(f"{{{NS['r']}}}id"), "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        yield Part("sheet", sheet.get("name") or "", list(_rows(_xml(archive, path), shared)))


def _rows(sheet: ElementTree.Element, shared: list[str]) -> Iterator[str]:
    for count, row in enumerate(sheet.iterfind("s:sheetData/s:row", NS)):
        if count >= MAX_SHEET_ROWS:
            yield f"[… more rows: only the first {MAX_SHEET_ROWS} are shown]"
            break
        cells = [_cell(c, shared) for c in row.findall("s:c", NS)]
        if any(cells):
            yield "\t".join(cells)


def _cell(cell: ElementTree.Element, shared: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return _text(cell, f"{{{NS['s']}}}t")
    value = cell.findtext("s:v", default="", namespaces=NS)
    if kind == "s" and value.isdigit() and int(value) < len(shared):
        return shared[int(value)]
    if kind == "b":
        return "TRUE" if value == "1" else "FALSE"
    return value


def pdf(path: Path, pages: range | None) -> Iterator[Part]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:
        raise Unreadable("reading PDFs needs the 'pypdf' package (pip install pypdf)") from exc
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("the PDF is password-protected")
        total = len(reader.pages)
        for index in pages or range(total):
            if index >= total:
                break
            text = (reader.pages[index].extract_text() or "").strip()
            yield Part("page", f"{index + 1} of {total}", [text or NO_TEXT])
    except PdfReadError as exc:
        raise Unreadable(f"not a readable PDF: {exc}") from exc


def extract(path: Path, pages: range | None = None) -> Iterator[str]:
    """The lines this command prints: each part's marker, then its lines."""
    for part in parts(path, pages):
        if part.marker:
            yield part.marker
        yield from part.lines


def parts(path: Path, pages: range | None = None) -> Iterator[Part]:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        yield from pdf(path, pages)
        return
    readers = {".docx": docx, ".xlsx": xlsx, ".pptx": pptx}
    if suffix in readers:
        try:
            with zipfile.ZipFile(path) as archive:
                yield from readers[suffix](archive)
        except zipfile.BadZipFile as exc:
            raise Unreadable(f"not a valid {suffix} file: {exc}") from exc
        except ElementTree.ParseError as exc:
            raise Unreadable(f"damaged {suffix} file: {exc}") from exc
        return
    if suffix in (".txt", ".md", ".csv", ".tsv", ".json", ".html", ".xml"):
        yield Part("", "", [path.read_text(encoding="utf-8", errors="replace")])
        return
    raise Unreadable(f"unsupported file type {suffix or '(none)'}: use .pdf, .docx, .xlsx or .pptx")


def _page_range(text: str) -> range:
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
    if not match or int(match.group(1)) < 1:
        raise argparse.ArgumentTypeError("use N or N-M, counting from 1")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    return range(first - 1, max(first, last))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--pages", type=_page_range, help="PDF pages to read, e.g. 3-7")
    parser.add_argument("--max-chars", type=int, default=200_000, help="stop after this much text")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"error: {args.file} is not a file", file=sys.stderr)
        return 2
    written = 0
    print(f"# {args.file.name}")
    try:
        for chunk in extract(args.file, args.pages):
            if written + len(chunk) > args.max_chars:
                print(chunk[: max(0, args.max_chars - written)])
                print(f"[… cut at {args.max_chars} characters: use --pages or --max-chars]")
                return 0
            print(chunk)
            written += len(chunk) + 1
    except Unreadable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
