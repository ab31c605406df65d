"""MCP servers at run time: real servers written with the official SDK, over stdio and HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from pydantic_ai import Agent, RunContext
from pydantic_ai.exceptions import ToolFailed
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel
from pydantic_ai.toolsets import AbstractToolset
from pydantic_ai.usage import RunUsage

from nexora.agents.config import AgentFile, AgentSpec
from nexora.auth.actor import Actor, Role
from nexora.config import Settings
from nexora.errors import InvalidInput
from nexora.governance.secret_store import SecretOwner
from nexora.mcp.errors import McpUnavailable
from nexora.mcp.toolset import McpToolset
from nexora.platform import Platform
from nexora.security.verdict import Danger
from nexora.storage.models import McpServer
from nexora.tenancy.bootstrap import ensure_default_org
from nexora.tenancy.users import add_user
from nexora.tools.toolset import declared_danger

pytestmark = pytest.mark.slow

ECHO_SERVER = Path(__file__).parents[1] / "fixtures" / "mcp_echo_server.py"


@dataclass
class World:
    platform: Platform
    org_id: str
    alice: str
    bob: str
    admin: Actor


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    tuned = settings.model_copy(update={"worker_concurrency": 0, "mcp_start_timeout_seconds": 20.0})
    platform = Platform.from_settings(tuned)
    await platform.start(workers=False)
    try:
        async with platform.db.session() as session:
            org = await ensure_default_org(session)
            org_id = org.id
            alice = (await add_user(session, org_id, "alice", "password-123", Role.OPERATOR)).user
            bob = (await add_user(session, org_id, "bob", "password-123", Role.OPERATOR)).user
            admin = Actor(alice.id, "alice", org_id, Role.ADMIN, False, "local")
            yield World(platform, org_id, alice.id, bob.id, admin)
    finally:
        await platform.stop()


async def _register(world: World, **fields: Any) -> None:
    defaults: dict[str, Any] = {
        "transport": "stdio",
        "command": sys.executable,
        "args": [str(ECHO_SERVER)],
        "timeout_seconds": 10.0,
    }
    async with world.platform.db.session() as session:
        session.add(McpServer(org_id=world.org_id, enabled=True, **{**defaults, **fields}))
        await session.commit()


async def _secret(world: World, user_id: str | None, name: str, value: str) -> None:
    async with world.platform.db.session() as session:
        owner = SecretOwner(world.org_id, user_id)
        await world.platform.secret_store.put(session, owner, name, value)


def _agent(world: World, *servers: str, agent_id: str = "agent-1") -> AgentFile:
    return AgentFile(id=agent_id, org_id=world.org_id, name="coder", mcp_servers=list(servers))


def _ctx() -> RunContext[None]:
    return RunContext(deps=None, model=TestModel(), usage=RunUsage())


async def _call(toolset: AbstractToolset[Any], tool: str, /, **args: Any) -> Any:
    ctx = _ctx()
    tools = await toolset.get_tools(ctx)
    return await toolset.call_tool(tool, args, ctx, tools[tool])


def _server_processes() -> list[psutil.Process]:
    me = psutil.Process()
    return [
        p
        for p in me.children(recursive=True)
        if any(str(ECHO_SERVER) in part for part in _cmdline(p))
    ]


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


async def test_lazy_start_namespacing_danger_and_scrubbed_env(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXORA_LEAK_CANARY", "should-not-leak")
    await _register(world, name="echo", secret_env={"ECHO_TOKEN": "echo-token"})
    await _register(world, name="risky", danger="high")
    await _register(world, name="unlisted")
    await _secret(world, None, "echo-token", "org-value")

    agent = _agent(world, "echo", "risky", "not-registered")
    toolsets = await world.platform.mcp.toolsets_for(world.org_id, world.alice, agent)
    assert [t.id for t in toolsets] == ["mcp:echo", "mcp:risky"]
    assert world.platform.mcp.running() == [] and _server_processes() == []

    echo, risky = toolsets
    tools = await echo.get_tools(_ctx())
    assert sorted(tools) == [
        "echo__add",
        "echo__crash",
        "echo__env",
        "echo__header",
        "echo__sleep",
        "echo__whoami",
    ]
    assert declared_danger(tools["echo__add"].tool_def) is Danger.MEDIUM
    assert declared_danger((await risky.get_tools(_ctx()))["risky__add"].tool_def) is Danger.HIGH
    assert len(_server_processes()) == 2

    assert await _call(echo, "echo__add", a=2, b=3) == "5"
    assert await _call(echo, "echo__env", name="ECHO_TOKEN") == "org-value"
    assert await _call(echo, "echo__env", name="NEXORA_LEAK_CANARY") == "(unset)"
    assert await _call(echo, "echo__env", name="PATH") == os.environ["PATH"]
    workspace = world.platform.settings.agents_dir / agent.id / "workspace"
    assert (await _call(echo, "echo__whoami")).split(" ", 1)[1] == str(workspace)


async def test_user_scoped_credentials_never_share_a_process(world: World) -> None:
    await _register(world, name="echo", secret_env={"ECHO_TOKEN": "echo-token"})
    await _secret(world, None, "echo-token", "org-value")
    await _secret(world, world.alice, "echo-token", "alice-value")
    await _secret(world, world.bob, "echo-token", "bob-value")
    agent = _agent(world, "echo")
    mcp = world.platform.mcp

    alice_set, again_alice, bob_set, anonymous = [
        (await mcp.toolsets_for(world.org_id, user, agent))[0]
        for user in (world.alice, world.alice, world.bob, None)
    ]
    assert await _call(alice_set, "echo__env", name="ECHO_TOKEN") == "alice-value"
    assert await _call(bob_set, "echo__env", name="ECHO_TOKEN") == "bob-value"
    assert await _call(anonymous, "echo__env", name="ECHO_TOKEN") == "org-value"
    alice_pid = await _call(alice_set, "echo__whoami")
    assert await _call(again_alice, "echo__whoami") == alice_pid  # kept and shared by her runs
    assert await _call(bob_set, "echo__whoami") != alice_pid
    assert len(_server_processes()) == 3
    scopes = sorted((launch.scope, launch.owner) for launch in mcp.running())
    assert scopes == sorted([("org", world.org_id), ("user", world.alice), ("user", world.bob)])


async def test_org_scoped_credentials_share_one_process_across_users(world: World) -> None:
    await _register(world, name="echo", secret_env={"ECHO_TOKEN": "echo-token"})
    await _secret(world, None, "echo-token", "org-value")
    agent = _agent(world, "echo")
    alice = (await world.platform.mcp.toolsets_for(world.org_id, world.alice, agent))[0]
    bob = (await world.platform.mcp.toolsets_for(world.org_id, world.bob, agent))[0]
    assert await _call(alice, "echo__whoami") == await _call(bob, "echo__whoami")
    assert len(_server_processes()) == 1


async def test_missing_secret_is_a_clear_error(world: World) -> None:
    await _register(world, name="echo", secret_env={"ECHO_TOKEN": "echo-token"})
    with pytest.raises(InvalidInput, match=r"needs secret\(s\) echo-token"):
        await world.platform.mcp.toolsets_for(world.org_id, world.alice, _agent(world, "echo"))


async def test_crash_is_reported_then_the_next_call_restarts(world: World) -> None:
    await _register(world, name="echo")
    (echo,) = await world.platform.mcp.toolsets_for(world.org_id, None, _agent(world, "echo"))
    first_pid = (await _call(echo, "echo__whoami")).split()[0]

    with pytest.raises(ToolFailed, match="stopped during the call to 'crash'"):
        await _call(echo, "echo__crash")
    assert await _call(echo, "echo__add", a=1, b=1) == "2"
    assert (await _call(echo, "echo__whoami")).split()[0] != first_pid

    # Killed while idle: the next call finds it dead, restarts it and succeeds.
    second_pid = int((await _call(echo, "echo__whoami")).split()[0])
    psutil.Process(second_pid).kill()
    assert await _until(lambda: world.platform.mcp.running() == [])  # noticed without a call
    assert await _call(echo, "echo__add", a=2, b=2) == "4"


async def test_a_server_that_cannot_start_is_a_clear_error(world: World) -> None:
    await _register(world, name="broken", args=["-c", "import sys; sys.exit(1)"])
    (broken,) = await world.platform.mcp.toolsets_for(world.org_id, None, _agent(world, "broken"))
    with pytest.raises(McpUnavailable, match="'broken' could not be started"):
        await broken.get_tools(_ctx())


async def test_start_timeout_leaves_no_process(world: World) -> None:
    silent = "import time; time.sleep(60)  # never speaks MCP"
    await _register(world, name="silent", args=["-c", silent])
    (toolset,) = await world.platform.mcp.toolsets_for(world.org_id, None, _agent(world, "silent"))
    world.platform.mcp.start_timeout = 0.5
    with pytest.raises(McpUnavailable, match=r"did not start within 0\.5 s"):
        await toolset.get_tools(_ctx())
    me = psutil.Process()
    assert _eventually(lambda: not any(silent in _cmdline(p) for p in me.children(recursive=True)))


async def test_call_timeout_is_a_clear_error_and_the_server_stays_usable(world: World) -> None:
    await _register(world, name="echo", timeout_seconds=0.5)
    (echo,) = await world.platform.mcp.toolsets_for(world.org_id, None, _agent(world, "echo"))
    started = time.monotonic()
    with pytest.raises(ToolFailed, match=r"did not answer the call to 'sleep' within 0\.5 s"):
        await _call(echo, "echo__sleep", seconds=5)
    assert time.monotonic() - started < 4
    assert await _call(echo, "echo__add", a=20, b=22) == "42"


async def test_idle_servers_are_stopped_after_the_ttl(world: World) -> None:
    await _register(world, name="echo")
    mcp = world.platform.mcp
    (echo,) = await mcp.toolsets_for(world.org_id, None, _agent(world, "echo"))
    await _call(echo, "echo__add", a=1, b=2)
    assert await mcp.reap_idle() == 0  # used just now
    mcp.idle_ttl = 0.0
    assert await mcp.reap_idle() == 1
    assert mcp.running() == []
    assert _eventually(lambda: _server_processes() == [])
    assert await _call(echo, "echo__add", a=1, b=2) == "3"  # started again on use


async def test_agent_scoped_server_is_only_for_that_agent(world: World) -> None:
    registry = world.platform.agents
    async with world.platform.db.session() as session:
        spec = AgentSpec(name="scoped", mcp_servers=["echo"])
        owner = (await registry.create(session, world.admin, spec)).config
        other = await registry.create(session, world.admin, spec.model_copy(update={"name": "x"}))
    await _register(world, name="echo", agent_id=owner.id)
    mcp = world.platform.mcp
    assert len(await mcp.toolsets_for(world.org_id, None, owner)) == 1
    assert await mcp.toolsets_for(world.org_id, None, other.config) == []


async def test_an_agent_run_calls_mcp_tools(world: World) -> None:
    await _register(world, name="echo")
    toolsets = await world.platform.mcp.toolsets_for(world.org_id, None, _agent(world, "echo"))
    assert all(isinstance(t, McpToolset) for t in toolsets)

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            assert "echo__add" in {t.name for t in info.function_tools}
            return ModelResponse(parts=[ToolCallPart("echo__add", {"a": 40, "b": 2})])
        returned = messages[-1].parts[0]
        return ModelResponse(parts=[TextPart(f"sum is {returned.content}")])  # type: ignore[union-attr]

    agent: Agent[None, str] = Agent(FunctionModel(model), toolsets=toolsets)
    result = await agent.run("add 40 and 2")
    assert result.output == "sum is 42"


@pytest.fixture
def http_server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(ECHO_SERVER), "http", str(port)],
        env={**os.environ, "ECHO_TOKEN": "server-side"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        assert _eventually(lambda: _listening(port), seconds=20), "MCP HTTP server did not start"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
    except httpx.TransportError:
        return False
    return True


async def test_streamable_http_server_on_loopback(world: World, http_server: str) -> None:
    await _register(
        world,
        name="remote",
        transport="http",
        command=None,
        args=[],
        url=http_server,
        secret_headers={"X-Api-Key": "remote-key"},
    )
    await _secret(world, world.alice, "remote-key", "alice-key")
    (remote,) = await world.platform.mcp.toolsets_for(
        world.org_id, world.alice, _agent(world, "remote")
    )
    assert remote.launch.scope == "user" and remote.launch.headers == {"X-Api-Key": "alice-key"}
    assert await _call(remote, "remote__add", a=5, b=6) == "11"
    assert await _call(remote, "remote__env", name="ECHO_TOKEN") == "server-side"
    assert await _call(remote, "remote__header", name="X-Api-Key") == "alice-key"
    assert [launch.name for launch in world.platform.mcp.running()] == ["remote"]


async def _until(check: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def _eventually(check: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
