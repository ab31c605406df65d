"""`nexora memory` on the local data dir and against a running server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from nexora.cli.main import app
from nexora.config import load_settings
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.scope import Owner
from nexora.storage.models import AgentRecord, MemoryChange
from tests.support.api import ok
from tests.support.db import query
from tests.support.server import RunningServer

runner = CliRunner(env={"COLUMNS": "240"})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "nexora-home"
    monkeypatch.setenv("NEXORA_HOME", str(path))
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["agents", "create", "helper"]).exit_code == 0
    return path


def test_blocks_items_forget_and_revert_locally(home: Path) -> None:
    made = runner.invoke(app, ["memory", "blocks", "set", "helper", "persona", "Be brief."])
    assert made.exit_code == 0 and "persona: 9/2000 characters (version 1)" in made.output
    edited = runner.invoke(app, ["memory", "blocks", "set", "helper", "persona", "Be kind."])
    assert "(version 2)" in edited.output
    listed = runner.invoke(app, ["memory", "blocks", "list", "helper"])
    assert re.search(r"persona\s+│\s+shared\s+│\s+8/2000\s+│\s+Be kind\.", listed.output)

    async def remember(session: AsyncSession) -> str:
        agent = await session.scalar(select(AgentRecord).where(AgentRecord.name == "helper"))
        assert agent is not None
        new = NewItem("episodic", "fact", "The user's name is Ada.")
        owner = Owner(agent.org_id, agent_id=agent.id)
        (added,) = await MemoryItems().add(session, owner, [new], origin="auto")
        await session.commit()
        return added.item.id

    item_id = query(load_settings().database_url, remember)
    items = runner.invoke(app, ["memory", "items", "list", "helper", "--origin", "auto"])
    assert "The user's name is Ada." in items.output and item_id in items.output
    assert "1 of 1" in items.output
    feed = runner.invoke(app, ["memory", "changes", "helper", "--origin", "auto"])
    assert re.search(r"auto\s+│\s+create\s+│\s+item", feed.output), feed.output

    forgot = runner.invoke(app, ["memory", "forget", item_id, "--reason", "wrong name"])
    assert forgot.exit_code == 0 and f"forgot {item_id} (version 2)" in forgot.output
    assert "0 of 0" in runner.invoke(app, ["memory", "items", "list", "helper"]).output

    async def retirement(session: AsyncSession) -> str:
        change = await session.scalar(
            select(MemoryChange.id).where(
                MemoryChange.target_id == item_id, MemoryChange.action == "retire"
            )
        )
        assert change is not None
        return change

    change_id = query(load_settings().database_url, retirement)
    undone = runner.invoke(app, ["memory", "revert", change_id])
    assert undone.exit_code == 0 and f"item {item_id} is active" in undone.output
    assert "1 of 1" in runner.invoke(app, ["memory", "items", "list", "helper"]).output
    missing = runner.invoke(app, ["memory", "blocks", "list", "nobody"])
    assert missing.exit_code == 1 and "not found" in missing.output


def test_against_a_server_with_an_api_key(server: RunningServer, admin: httpx.Client) -> None:
    key = ok(admin.post("/api/api-keys", json={"name": "cli"}), 201)["key"]
    remote = ["--url", server.url, "--api-key", key]
    agent_id = ok(admin.post("/api/agents", json={"name": "helper"}), 201)["id"]
    made = runner.invoke(
        app, ["memory", "blocks", "set", agent_id, "human", "Likes tea.", "--private", *remote]
    )
    assert made.exit_code == 0, made.output
    again = runner.invoke(
        app, ["memory", "blocks", "set", agent_id, "human", "Likes green tea.", *remote]
    )
    assert "(version 2)" in again.output
    (block,) = ok(admin.get("/api/memory/blocks", params={"agent_id": agent_id}))
    assert block["value"] == "Likes green tea." and block["user_id"] is not None
    listed = runner.invoke(app, ["memory", "blocks", "list", agent_id, *remote])
    assert re.search(r"human\s+│\s+private\s+│\s+16/2000", listed.output), listed.output

    item = ok(
        admin.post("/api/memory/archival", json={"agent_id": agent_id, "text": "Ops is on call."}),
        201,
    )
    items = runner.invoke(
        app, ["memory", "items", "list", agent_id, "--layer", "archival", *remote]
    )
    assert item["id"] in items.output and "Ops is on call." in items.output
    forgot = runner.invoke(app, ["memory", "forget", item["id"], *remote])
    assert forgot.exit_code == 0 and "forgot" in forgot.output
    feed = runner.invoke(app, ["memory", "changes", agent_id, "--origin", "person", *remote])
    change_ids = re.findall(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", feed.output
    )
    history = ok(admin.get(f"/api/memory/items/{item['id']}/history"))
    retire = next(c["id"] for c in history if c["action"] == "retire")
    assert retire in change_ids
    undone = runner.invoke(app, ["memory", "revert", retire, *remote])
    assert undone.exit_code == 0 and "is active" in undone.output
    gone = runner.invoke(app, ["memory", "forget", "no-such-item", *remote])
    assert gone.exit_code == 1 and "404" in gone.output
