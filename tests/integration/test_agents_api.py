from __future__ import annotations

import time

import httpx
import yaml

from tests.support.api import assert_problem, ok
from tests.support.server import RunningServer

SPEC = {
    "name": "researcher",
    "description": "Finds things out",
    "persona": "# Researcher\nYou cite sources.",
    "model": "openai:gpt-4o-mini",
    "tools": ["web_fetch"],
    "skills": ["web-research"],
    "memory": {"enabled": True, "core_block_chars": 3000},
    "sandbox": {"mode": "process", "network": True},
}


def test_crud_round_trip_and_yaml_on_disk(server: RunningServer, admin: httpx.Client) -> None:
    created = ok(admin.post("/api/agents", json=SPEC), 201)
    for key, value in SPEC.items():
        if isinstance(value, dict):
            assert created[key].items() >= value.items()
        else:
            assert created[key] == value
    path = server.platform.agents.files.config_path(created["id"])
    on_disk = yaml.safe_load(path.read_text())
    assert on_disk["id"] == created["id"] and on_disk["persona"] == SPEC["persona"]
    assert server.platform.agents.files.workspace(created["id"]).is_dir()

    updated = ok(admin.put(f"/api/agents/{created['id']}", json={**SPEC, "description": "new"}))
    assert updated["description"] == "new"
    assert yaml.safe_load(path.read_text())["description"] == "new"
    assert ok(admin.get(f"/api/agents/{created['id']}"))["description"] == "new"

    assert admin.delete(f"/api/agents/{created['id']}").status_code == 204
    assert_problem(admin.get(f"/api/agents/{created['id']}"), 404)
    assert not path.exists()


def test_name_is_unique_in_org(admin: httpx.Client) -> None:
    ok(admin.post("/api/agents", json={"name": "dup"}), 201)
    assert_problem(admin.post("/api/agents", json={"name": "dup"}), 409, "already exists")
    other = ok(admin.post("/api/agents", json={"name": "other"}), 201)
    assert_problem(admin.put(f"/api/agents/{other['id']}", json={"name": "dup"}), 409)
    assert ok(admin.get(f"/api/agents/{other['id']}"))["name"] == "other"


def _edit(path, text: str) -> None:  # type: ignore[no-untyped-def]
    # Filesystems with coarse timestamps would hide a quick second write.
    before = path.stat().st_mtime
    path.write_text(text)
    while path.stat().st_mtime == before:
        time.sleep(0.01)
        path.write_text(text)


def test_hand_edited_yaml_is_picked_up(server: RunningServer, admin: httpx.Client) -> None:
    agent = ok(admin.post("/api/agents", json={"name": "editable"}), 201)
    path = server.platform.agents.files.config_path(agent["id"])
    data = yaml.safe_load(path.read_text())
    data["persona"] = "Edited by hand."
    _edit(path, yaml.safe_dump(data))
    assert ok(admin.get(f"/api/agents/{agent['id']}"))["persona"] == "Edited by hand."


def test_invalid_yaml_is_reported_not_fatal(server: RunningServer, admin: httpx.Client) -> None:
    agent = ok(admin.post("/api/agents", json={"name": "fragile", "persona": "good"}), 201)
    path = server.platform.agents.files.config_path(agent["id"])
    _edit(path, "name: [unclosed\n")
    reloaded = ok(admin.post(f"/api/agents/{agent['id']}/reload"))
    assert "not valid YAML" in reloaded["load_error"]
    assert reloaded["persona"] == "good"  # the last valid configuration stays in force
    assert ok(admin.get("/healthz"))["status"] == "ok"

    data = {"id": agent["id"], "org_id": agent["org_id"], "name": "fragile", "persona": "fixed"}
    _edit(path, yaml.safe_dump(data))
    fixed = ok(admin.post(f"/api/agents/{agent['id']}/reload"))
    assert fixed["load_error"] is None and fixed["persona"] == "fixed"


def test_bad_field_in_yaml_is_reported(server: RunningServer, admin: httpx.Client) -> None:
    agent = ok(admin.post("/api/agents", json={"name": "typo"}), 201)
    path = server.platform.agents.files.config_path(agent["id"])
    data = yaml.safe_load(path.read_text())
    data["sandbox"]["timeout_seconds"] = "soon"
    _edit(path, yaml.safe_dump(data))
    reloaded = ok(admin.post(f"/api/agents/{agent['id']}/reload"))
    assert "sandbox.timeout_seconds" in reloaded["load_error"]
