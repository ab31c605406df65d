"""`nexora run`, `tail` and `export`, locally on the data dir and against a server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from nexora.cli.main import app
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ok
from tests.support.runs import wait_for_run
from tests.support.server import RunningServer

runner = CliRunner()


@pytest.fixture
def local_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, llm: FakeOpenAIServer) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("NEXORA_HOME", str(home))
    monkeypatch.setenv("NEXORA_ADMIN_PASSWORD", "password-123")
    monkeypatch.setenv("NEXORA_DEFAULT_MODEL", "openai:fake-model")
    monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("NEXORA_DETECT_LOCAL_MODELS", "false")
    monkeypatch.setenv("NEXORA_MEMORY_AUTO_EXTRACT", "false")
    monkeypatch.setenv("NEXORA_PORT", "1")  # no server answers here: local mode
    assert runner.invoke(app, ["agents", "create", "helper"]).exit_code == 0
    return home


def test_local_run_tail_and_export(local_env: Path, llm: FakeOpenAIServer) -> None:
    llm.reply_text("Local answer.", chunks=["Local ", "answer."])
    result = runner.invoke(app, ["run", "hello", "--agent", "helper"])
    assert result.exit_code == 0, result.output
    assert "Local answer." in result.output
    llm.reply_text("Streamed.", chunks=["Stre", "amed."])
    streamed = runner.invoke(app, ["run", "again", "--agent", "helper", "--stream"])
    assert streamed.exit_code == 0 and "Streamed." in streamed.output

    exported = runner.invoke(app, ["export", _last_run_id(), "--format", "json"])
    document = json.loads(exported.output)
    assert document["run"]["status"] == "completed"
    assert document["events"][-1]["type"] == "run.completed"
    lines = runner.invoke(app, ["export", _last_run_id(), "--format", "jsonl"]).output.splitlines()
    assert json.loads(lines[0])["run"]["output"] == "Streamed."
    assert [json.loads(line)["seq"] for line in lines[1:]] == [e["seq"] for e in document["events"]]
    tailed = runner.invoke(app, ["tail", _last_run_id()])
    assert tailed.exit_code == 0 and "Streamed." in tailed.output
    assert runner.invoke(app, ["export", "x", "--format", "xml"]).exit_code == 2


def _last_run_id() -> str:
    result = runner.invoke(app, ["export", "missing"])
    assert result.exit_code == 1 and "not found" in result.output
    import asyncio

    from sqlalchemy import select

    from nexora.config import load_settings
    from nexora.storage.db import Database
    from nexora.storage.models import Run

    async def newest() -> str:
        db = Database(load_settings().database_url)
        try:
            async with db.session() as session:
                run_id = await session.scalar(select(Run.id).order_by(Run.created_at.desc()))
                assert run_id is not None
                return run_id
        finally:
            await db.dispose()

    return asyncio.run(newest())


def test_local_run_with_no_model_fails_clearly(
    local_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEXORA_DEFAULT_MODEL")
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_BASE_URL")
    result = runner.invoke(app, ["run", "hello", "--agent", "helper"])
    assert result.exit_code == 1
    assert "NEXORA_DEFAULT_MODEL" in result.output


def test_remote_run_tail_export(
    server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    ok(admin.post("/api/agents", json={"name": "remote-helper"}), 201)
    key = ok(admin.post("/api/api-keys", json={"name": "cli"}), 201)["key"]
    args = ["--url", server.url, "--api-key", key]
    llm.reply_text("From the server.")
    result = runner.invoke(app, ["run", "hi", "--agent", "remote-helper", "--stream", *args])
    assert result.exit_code == 0, result.output
    assert "From the server." in result.output
    run_id = ok(admin.get("/api/runs"))["items"][0]["id"]
    wait_for_run(admin, run_id)
    tailed = runner.invoke(app, ["tail", run_id, *args])
    assert "From the server." in tailed.output
    exported = json.loads(runner.invoke(app, ["export", run_id, *args]).output)
    assert exported["run"]["id"] == run_id and exported["events"][0]["type"] == "run.started"
    denied = runner.invoke(
        app, ["run", "hi", "--agent", "remote-helper", "--url", server.url, "--api-key", "nxk_bad"]
    )
    assert denied.exit_code == 1 and "401" in denied.output
