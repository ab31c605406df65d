"""The `documents` skill's extractor, on files made here: the way an agent runs it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from nexora.skills.catalog import BUILTIN_DIR
from tests.unit.skills import office_files

SCRIPT = BUILTIN_DIR / "documents" / "scripts" / "extract_text.py"


@pytest.fixture(scope="module")
def extractor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_text", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text(extractor: ModuleType, path: Path, pages: range | None = None) -> str:
    return "\n".join(extractor.extract(path, pages))


def test_docx_keeps_headings_runs_and_tables(extractor: ModuleType, tmp_path: Path) -> None:
    text = _text(extractor, office_files.docx(tmp_path / "report.docx"))
    assert text.splitlines() == [
        "# Annual report",
        "Revenue grew 12 percent.",
        "| Region | Sales |",
        "| North | 420 |",
    ]


def test_xlsx_resolves_shared_inline_and_boolean_cells(
    extractor: ModuleType, tmp_path: Path
) -> None:
    text = _text(extractor, office_files.xlsx(tmp_path / "budget.xlsx"))
    assert text.splitlines() == ["--- sheet Revenue ---", "Quarter\tAmount", "Q1\t1500.5\tTRUE"]


def test_pptx_slides_come_in_numeric_order(extractor: ModuleType, tmp_path: Path) -> None:
    deck = office_files.pptx(tmp_path / "deck.pptx", {10: "Ten", 2: "Two", 1: "One"})
    assert _text(extractor, deck).splitlines() == [
        "--- slide 1 ---",
        "One",
        "--- slide 2 ---",
        "Two",
        "--- slide 3 ---",
        "Ten",
    ]


def test_pdf_pages_and_page_ranges(extractor: ModuleType, tmp_path: Path) -> None:
    path = office_files.pdf(tmp_path / "doc.pdf", ["Alpha page", "Beta page", "Gamma page"])
    text = _text(extractor, path)
    assert "--- page 1 of 3 ---" in text and "Gamma page" in text
    middle = _text(extractor, path, range(1, 2))
    assert "Beta page" in middle and "Alpha" not in middle and "Gamma" not in middle


def test_the_script_runs_as_a_command(tmp_path: Path) -> None:
    path = office_files.pdf(tmp_path / "doc.pdf", ["First", "Second"])
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(path), "--pages", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["# doc.pdf", "--- page 2 of 2 ---", "Second"]
    cut = subprocess.run(
        [sys.executable, str(SCRIPT), str(path), "--max-chars", "10"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "cut at 10 characters" in cut.stdout


def test_unreadable_files_exit_2_with_a_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    odd = tmp_path / "image.png"
    odd.write_bytes(b"\x89PNG")
    for path, reason in [(broken, "not a valid .docx"), (odd, "unsupported file type .png")]:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 2 and reason in done.stderr
