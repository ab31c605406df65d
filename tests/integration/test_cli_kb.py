"""`nexora kb ingest` on the local data dir: files, folders, progress, dedup, choices."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from nexora.cli.main import app
from nexora.config import load_settings
from nexora.storage.db import Database
from nexora.storage.models import MemoryItem, MemoryJob
from tests.unit.skills import office_files

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "nexora-home"
    monkeypatch.setenv("NEXORA_HOME", str(path))
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["agents", "create", "helper"]).exit_code == 0
    return path


def _rows(model: type[MemoryItem] | type[MemoryJob]) -> list[object]:
    async def read() -> list[object]:
        db = Database(load_settings().database_url)
        try:
            async with db.session() as session:
                return list(await session.scalars(select(model)))
        finally:
            await db.dispose()

    return asyncio.run(read())


def _said(result: object) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(str(result.output).split())  # type: ignore[attr-defined]


def test_a_folder_is_ingested_with_a_progress_bar_and_again_adds_nothing(
    home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    office_files.pdf(folder / "manual.pdf", ["Install the pump.", "Open the valve."])
    office_files.xlsx(folder / "budget.xlsx")
    office_files.pptx(folder / "deck.pptx", {1: "Roadmap", 2: "Hiring"})
    (folder / "notes.txt").write_text("Call the supplier on Monday.", encoding="utf-8")
    first = runner.invoke(app, ["kb", "ingest", str(folder)])
    assert first.exit_code == 0, first.output
    assert "4 of 4 documents into helper: 6 chunks added, 0 already there" in _said(first)
    assert "4/4" in _said(first)  # the progress bar's files counter, at the end
    items = _rows(MemoryItem)
    assert len(items) == 6
    again = runner.invoke(app, ["kb", "ingest", str(folder), "--agent", "helper"])
    assert again.exit_code == 0, again.output
    assert "0 chunks added, 6 already there" in _said(again)
    assert len(_rows(MemoryItem)) == 6
    jobs = _rows(MemoryJob)
    assert sorted((j.status, j.added) for j in jobs) == [("completed", 0), ("completed", 6)]  # type: ignore[attr-defined]


def test_private_documents_and_clear_errors(home: Path, tmp_path: Path) -> None:
    note = tmp_path / "private.md"
    note.write_text("# Mine\n\nOnly for the admin.", encoding="utf-8")
    done = runner.invoke(app, ["kb", "ingest", str(note), "--user", "admin"])
    assert done.exit_code == 0, done.output
    (item,) = _rows(MemoryItem)
    assert item.user_id is not None  # type: ignore[attr-defined]
    stranger = runner.invoke(app, ["kb", "ingest", str(note), "--user", "nobody"])
    assert stranger.exit_code == 1 and "not a member" in _said(stranger)
    assert runner.invoke(app, ["agents", "create", "writer"]).exit_code == 0
    ambiguous = runner.invoke(app, ["kb", "ingest", str(note)])
    assert ambiguous.exit_code == 1 and "--agent" in _said(ambiguous)
    broken = tmp_path / "broken.pptx"
    broken.write_bytes(b"nope")
    failed = runner.invoke(app, ["kb", "ingest", str(broken), "--agent", "writer"])
    assert failed.exit_code == 1
    assert "broken.pptx is not a valid Office file" in _said(failed)
    missing = runner.invoke(app, ["kb", "ingest", str(tmp_path / "absent"), "--agent", "writer"])
    assert missing.exit_code == 1 and "not a file, a folder or a URL" in _said(missing)
