"""Team templates through the CLI and the API, on both databases: applying creates the
roles, agents, group and members; applying again changes nothing and says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from nexora.cli.main import app
from nexora.storage.models import AgentRecord, Group, GroupMember, Role
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import query

runner = CliRunner()


async def _team(session: AsyncSession, group_name: str) -> dict[str, Any]:
    group = await session.scalar(select(Group).where(Group.name == group_name))
    assert group is not None
    rows = await session.execute(
        select(AgentRecord.name, Role.name, GroupMember.is_lead)
        .join(AgentRecord, AgentRecord.id == GroupMember.agent_id)
        .join(Role, Role.id == GroupMember.role_id)
        .where(GroupMember.group_id == group.id)
        .order_by(GroupMember.position)
    )
    return {
        "project_id": group.project_id,
        "members": [tuple(row) for row in rows],
    }


def test_cli_lists_and_applies_a_template_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    monkeypatch.setenv("NEXORA_HOME", str(tmp_path / "nexora-home"))
    monkeypatch.setenv("NEXORA_DB_URL", db_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    listed = runner.invoke(app, ["templates", "list"])
    assert listed.exit_code == 0 and "software" in listed.output and "operations" in listed.output

    first = runner.invoke(app, ["templates", "apply", "software"])
    assert first.exit_code == 0, first.output
    assert "created agent:developer" in first.output
    assert "created playbook:design-implement-test-review" in first.output
    team = query(db_url, lambda s: _team(s, "software-team"))
    assert team["members"] == [
        ("product-manager", "product manager", True),
        ("developer", "developer", False),
        ("tester", "tester", False),
        ("reviewer", "reviewer", False),
    ]
    again = runner.invoke(app, ["templates", "apply", "software"])
    assert again.exit_code == 0 and "already applied: nothing to change" in again.output
    assert "created" not in again.output

    missing = runner.invoke(app, ["templates", "apply", "operations", "--project", "nope"])
    assert missing.exit_code == 1 and "not found" in missing.output
    unknown = runner.invoke(app, ["templates", "apply", "circus"])
    assert unknown.exit_code == 1 and "no template named 'circus'" in unknown.output


def test_api_lists_and_applies_a_template_once(
    admin: httpx.Client, anon: httpx.Client, db_url: str
) -> None:
    shown = {t["name"]: t for t in ok(admin.get("/api/templates"))}
    assert set(shown) >= {"software", "operations"}
    software = shown["software"]
    assert [r["name"] for r in software["roles"]] == [
        "product manager",
        "developer",
        "tester",
        "reviewer",
    ]
    assert software["group"]["lead"] == "product-manager"
    stages = software["playbook"]["stages"]
    assert [s["name"] for s in stages] == ["design", "implement", "test", "review"]
    assert stages[-1]["review"] == {"on_reject": "implement"}

    project = ok(admin.post("/api/projects", json={"name": "platform"}), 201)
    body = {"project_id": project["id"]}
    first = ok(admin.post("/api/templates/operations/apply", json=body))
    assert first["changed"] is True and first["existing"] == []
    assert {"group:operations-team", "agent:ops", "role:alerts", "playbook:ship-a-change"} <= set(
        first["created"]
    )
    playbooks = {p["name"]: p for p in ok(admin.get("/api/playbooks"))}
    assert playbooks["ship-a-change"]["project_id"] == project["id"]
    team = query(db_url, lambda s: _team(s, "operations-team"))
    assert team["project_id"] == project["id"]
    assert [m[0] for m in team["members"]] == ["ops", "fe", "be", "qa", "docs", "alert"]
    assert [m[0] for m in team["members"] if m[2]] == ["ops"]
    agents = {a["name"]: a for a in ok(admin.get("/api/agents"))}
    assert agents["ops"]["team"] == "operations-team" and agents["fe"]["team"] is None

    second = ok(admin.post("/api/templates/operations/apply", json=body))
    assert second["changed"] is False and second["created"] == []
    assert "nothing to change" in second["summary"]
    assert set(second["existing"]) == set(first["created"])

    ok(admin.post("/api/admin/users", json={"username": "opal", "password": "password-123"}), 201)
    opal = auth(login(anon, "opal", "password-123"))
    assert_problem(anon.post("/api/templates/software/apply", headers=opal), 403)
    assert ok(anon.get("/api/templates", headers=opal))
    assert_problem(admin.post("/api/templates/circus/apply"), 404, "circus")
