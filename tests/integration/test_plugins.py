"""Plugins: found through entry points, offered to an org only once enabled through approval."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from pydantic_ai import Agent
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from nexora.agents.config import SandboxSettings
from nexora.channels.base import Outbound
from nexora.cli.main import app
from nexora.config import Settings
from nexora.plugins.api import PluginApi
from nexora.security.verdict import Danger
from nexora.tools.base import ToolContext, ToolSpec
from tests.fixtures.shout_plugin import ShoutInput, shout
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import query
from tests.support.server import RunningServer

ENTRY_POINTS = """\
[nexora.plugins]
shout = tests.fixtures.shout_plugin:plugin
broken = tests.fixtures.no_such_plugin_module:plugin
"""


@pytest.fixture(autouse=True)
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution on sys.path, as `pip install` would leave it, naming two plugins."""
    site = tmp_path / "site-packages"
    dist = site / "nexora_shout-1.2.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: nexora-shout\nVersion: 1.2.0\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    return site


def _by_name(listing: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in listing}


def _org_id(admin: httpx.Client) -> str:
    org_id: str = ok(admin.get("/api/auth/me"))["org_id"]
    return org_id


def _tools(server: RunningServer, settings: Settings, org_id: str) -> dict[str, ToolSpec[Any]]:
    async def work(session: AsyncSession) -> dict[str, ToolSpec[Any]]:
        return await server.platform.plugins.tools_for(session, org_id)

    return query(settings.database_url, work)


def _approve(admin: httpx.Client, pending: dict[str, Any]) -> dict[str, Any]:
    assert pending["status"] == "pending" and pending["risk"] == "high"
    approved: dict[str, Any] = ok(
        admin.post(f"/api/admin/approvals/{pending['approval_id']}/approve")
    )
    return approved


def test_enabling_is_an_approved_capability_change(
    server: RunningServer, settings: Settings, admin: httpx.Client, anon: httpx.Client
) -> None:
    org_id = _org_id(admin)
    listed = _by_name(ok(admin.get("/api/plugins")))
    assert listed["shout"] == {
        "name": "shout",
        "version": "1.2.0",
        "distribution": "nexora-shout",
        "installed": True,
        "enabled": False,
        "enabled_version": None,
        "loaded": False,  # not imported before an org enables it
        "error": None,
    }
    assert _tools(server, settings, org_id) == {}

    pending = ok(admin.post("/api/plugins/shout/enable"), 202)
    assert _tools(server, settings, org_id) == {}  # still waiting for approval
    assert not _by_name(ok(admin.get("/api/plugins")))["shout"]["enabled"]
    assert _approve(admin, pending)["result"] == {
        "plugin": "shout",
        "version": "1.2.0",
        "enabled": True,
    }

    listed = _by_name(ok(admin.get("/api/plugins")))
    assert listed["shout"]["enabled"] and listed["shout"]["loaded"]
    assert listed["shout"]["enabled_version"] == "1.2.0"
    tools = _tools(server, settings, org_id)
    assert list(tools) == ["shout__shout"]
    assert tools["shout__shout"].danger is Danger.LOW
    context = ToolContext(
        org_id=org_id,
        user_id="u1",
        agent_id="a1",
        run_id="r1",
        workspace=Path("."),
        files=cast(Any, None),
        sandbox=SandboxSettings(),
        settings=settings,
    )
    answer = asyncio.run(tools["shout__shout"].run(ShoutInput(text="hi"), context))
    assert answer == "HI! (for u1)"
    assert_problem(admin.post("/api/plugins/shout/enable"), 409, "already enabled")

    # Disabling shrinks what agents can do: applied at once under the default policy.
    disabled = ok(admin.post("/api/plugins/shout/disable"))
    assert disabled["enabled"] is False and disabled["installed"] is True
    assert _tools(server, settings, org_id) == {}
    assert_problem(admin.post("/api/plugins/shout/disable"), 404, "not enabled")
    assert_problem(admin.post("/api/plugins/nope/enable"), 404, "not installed")

    audit = ok(admin.get("/api/admin/audit", params={"action": "plugin.enable"}))
    assert audit["items"] and audit["items"][0]["resource_id"] == "shout"


def test_a_plugin_that_fails_to_load_is_reported_not_fatal(
    server: RunningServer, settings: Settings, admin: httpx.Client
) -> None:
    _approve(admin, ok(admin.post("/api/plugins/broken/enable"), 202))
    broken = _by_name(ok(admin.get("/api/plugins")))["broken"]
    assert broken["enabled"] and not broken["loaded"]
    assert "ModuleNotFoundError" in broken["error"]
    assert _tools(server, settings, _org_id(admin)) == {}
    assert ok(admin.get("/healthz"))


def test_plugins_are_per_org_and_admin_only(
    server: RunningServer, settings: Settings, admin: httpx.Client, anon: httpx.Client
) -> None:
    _approve(admin, ok(admin.post("/api/plugins/shout/enable"), 202))
    org = ok(admin.post("/api/admin/orgs", json={"name": "acme"}), 201)
    body = {"username": "boss", "password": "password-123", "role": "admin", "org_id": org["id"]}
    ok(admin.post("/api/admin/users", json=body), 201)
    other = auth(login(anon, "boss", "password-123"))
    assert not _by_name(ok(anon.get("/api/plugins", headers=other)))["shout"]["enabled"]
    assert _tools(server, settings, org["id"]) == {}

    member = {"username": "olga", "password": "password-123", "role": "operator"}
    ok(admin.post("/api/admin/users", json=member), 201)
    operator = auth(login(anon, "olga", "password-123"))
    assert_problem(anon.get("/api/plugins", headers=operator), 403)
    assert_problem(anon.post("/api/plugins/shout/disable", headers=operator), 403)


def test_plugin_providers_and_channels_follow_enablement(
    server: RunningServer, settings: Settings, admin: httpx.Client
) -> None:
    org_id = _org_id(admin)
    platform = server.platform

    async def resolve(session: AsyncSession) -> str:
        resolved = await platform.models.resolve(session, org_id, "shout__echo:tiny")
        agent: Agent[None, str] = Agent(resolved.model)
        return (await agent.run("hello")).output

    with pytest.raises(Exception, match="not enabled here"):
        query(settings.database_url, resolve)
    _approve(admin, ok(admin.post("/api/plugins/shout/enable"), 202))
    assert query(settings.database_url, resolve) == "tiny echoes"

    async def channel(session: AsyncSession) -> list[tuple[str, str]]:
        adapters = await platform.plugins.channels_for(session, org_id)
        assert list(adapters) == ["shout__log"]
        adapter = adapters["shout__log"]
        assert adapter.platform == "shout__log"
        async with httpx.AsyncClient() as http:
            made = adapter(adapter.config_model.model_validate({"prefix": "LOG:"}), http)
            await made.send(Outbound(conversation_id="chat-1", text="hi"))
        return list(cast(Any, made).sent)

    assert query(settings.database_url, channel) == [("chat-1", "LOG:hi")]
    # The platform is a channel type of this org only, like any built-in one.
    agent = ok(admin.post("/api/agents", json={"name": "logger"}), 201)
    body = {"type": "shout__log", "name": "log", "agent_id": agent["id"], "config": {}}
    created = ok(admin.post("/api/channels", json=body), 201)
    assert created["type"] == "shout__log" and created["inbound_url"] is None


def test_names_are_namespaced_and_checked() -> None:
    api = PluginApi("shout")
    api.add_tool(ToolSpec("say", "Says.", ShoutInput, Danger.SAFE, shout))
    assert list(api.tools) == ["shout__say"] and api.tools["shout__say"].name == "shout__say"
    with pytest.raises(ValueError, match="twice"):
        api.add_tool(ToolSpec("say", "Again.", ShoutInput, Danger.SAFE, shout))
    for bad in ("a__b", "Upper", "", "-x", "x_"):
        with pytest.raises(ValueError, match="tool name"):
            api.add_tool(ToolSpec(bad, "Bad.", ShoutInput, Danger.SAFE, shout))


def test_cli_lists_enables_and_disables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXORA_HOME", str(tmp_path / "cli-home"))
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    listed = runner.invoke(app, ["plugins", "list"])
    assert listed.exit_code == 0 and "shout" in listed.output and "nexora-shout" in listed.output
    enabled = runner.invoke(app, ["plugins", "enable", "shout"])
    assert enabled.exit_code == 0 and "waiting for approval" in enabled.output, enabled.output
    missing = runner.invoke(app, ["plugins", "disable", "shout"])
    assert missing.exit_code == 1 and "not enabled" in missing.output


def test_tool_listing_offers_builtin_tools_and_enabled_plugins_tools(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    def listing(client: httpx.Client) -> dict[str, dict[str, Any]]:
        return _by_name(ok(client.get("/api/tools")))

    before = listing(admin)
    assert "shout__shout" not in before
    assert before["read_file"]["source"] == "builtin" and before["read_file"]["danger"] == "safe"
    assert before["shell"]["danger"] == "low"  # declared; the guards judge each command
    assert "properties" in before["write_file"]["input_schema"]

    _approve(admin, ok(admin.post("/api/plugins/shout/enable"), 202))
    ok(admin.post("/api/admin/users", json={"username": "op", "password": "operator-pw-1"}), 201)
    with server.client(login(anon, "op", "operator-pw-1")) as operator:
        shout_tool = listing(operator)["shout__shout"]
    assert shout_tool["source"] == "plugin" and shout_tool["danger"] == "low"
    assert shout_tool["input_schema"]["properties"]["text"]["type"] == "string"
