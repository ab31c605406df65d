"""Each supported file type into a Document, made here from scratch; limits and bad files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from nexora.errors import ContentTooLarge
from nexora.memory.ingest.convert import convert_file
from nexora.memory.ingest.document import UnreadableDocument
from nexora.memory.ingest.limits import IngestLimits
from tests.unit.skills import office_files

LIMITS = IngestLimits()


def _convert(path: Path, limits: IngestLimits = LIMITS):  # type: ignore[no-untyped-def]
    return convert_file(path, str(path), limits)


def test_pdf_pages_become_sections_with_their_page_numbers(tmp_path: Path) -> None:
    pdf = office_files.pdf(tmp_path / "manual.pdf", ["Alpha page", "Beta page", "Gamma page"])
    document = _convert(pdf)
    assert document.media == "pdf" and document.title == "manual"
    assert [(s.where, s.text) for s in document.sections] == [
        ({"page": 1}, "Alpha page"),
        ({"page": 2}, "Beta page"),
        ({"page": 3}, "Gamma page"),
    ]


def test_docx_keeps_headings_and_tables(tmp_path: Path) -> None:
    document = _convert(office_files.docx(tmp_path / "report.docx"))
    assert document.media == "docx"
    (section,) = document.sections
    assert section.where == {}
    assert section.text == (
        "# Annual report\n\nRevenue grew 12 percent.\n\n| Region | Sales |\n| North | 420 |"
    )


def test_xlsx_sheets_and_pptx_slides_are_sections(tmp_path: Path) -> None:
    sheet = _convert(office_files.xlsx(tmp_path / "budget.xlsx"))
    assert [(s.where, s.text) for s in sheet.sections] == [
        ({"sheet": "Revenue"}, "Quarter\tAmount\nQ1\t1500.5\tTRUE")
    ]
    deck = _convert(office_files.pptx(tmp_path / "deck.pptx", {2: "Two", 1: "One"}))
    assert [(s.where, s.text) for s in deck.sections] == [
        ({"slide": 1}, "One"),
        ({"slide": 2}, "Two"),
    ]


def test_markdown_html_and_text(tmp_path: Path) -> None:
    md = tmp_path / "notes.md"
    md.write_text("# Notes\n\nSome *markdown*.\n", encoding="utf-8")
    assert _convert(md).sections[0].text.startswith("# Notes")
    assert _convert(md).media == "markdown"
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Price list</title><style>p{}</style></head><body>"
        "<h2>Plans</h2><p>Team plan costs 20 euros.</p><script>x()</script></body></html>",
        encoding="utf-8",
    )
    html = _convert(page)
    assert html.media == "html" and html.title == "Price list"
    assert html.sections[0].text == "# Price list\n\n## Plans\n\nTeam plan costs 20 euros."
    gbk = tmp_path / "中文.txt"
    gbk.write_bytes("知识库里的中文文本".encode("gb18030"))
    text = _convert(gbk)
    assert text.media == "text" and text.sections[0].text == "知识库里的中文文本"


def test_unchanged_documents_hash_alike_and_changed_ones_do_not(tmp_path: Path) -> None:
    first = office_files.pdf(tmp_path / "a.pdf", ["One", "Two"])
    again = office_files.pdf(tmp_path / "b.pdf", ["One", "Two"])
    changed = office_files.pdf(tmp_path / "c.pdf", ["One", "Three"])
    assert _convert(first).content_hash == _convert(again).content_hash
    assert _convert(first).content_hash != _convert(changed).content_hash


def test_a_zip_bomb_posing_as_a_document_is_refused_before_parsing(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<" + b"a" * (3 * 1024 * 1024) + b"/>")
    assert bomb.stat().st_size < 20_000  # small on disk, 3 MiB inflated
    with pytest.raises(ContentTooLarge, match="expands to"):
        _convert(bomb, IngestLimits(max_expanded_bytes=1024 * 1024))


def test_oversized_files_and_text_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000, encoding="utf-8")
    with pytest.raises(ContentTooLarge, match="limit for one document"):
        _convert(big, IngestLimits(max_bytes=1000))
    with pytest.raises(ContentTooLarge, match="characters"):
        _convert(big, IngestLimits(max_chars=100))


def test_damaged_and_unsupported_files_say_why(tmp_path: Path) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip at all")
    with pytest.raises(UnreadableDocument, match="not a valid Office file"):
        _convert(broken)
    bad_pdf = tmp_path / "bad.pdf"
    bad_pdf.write_bytes(b"%PDF-1.4\nthis is no pdf")
    with pytest.raises(UnreadableDocument, match=r"bad\.pdf"):
        _convert(bad_pdf)
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG")
    with pytest.raises(UnreadableDocument, match=r"unsupported file type \.png"):
        _convert(image)
