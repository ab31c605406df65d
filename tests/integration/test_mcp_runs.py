"""MCP tools in real runs: approved over the API, called by the model, under the tool policy."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ok
from tests.support.runs import events_of, wait_for_run

ECHO_SERVER = Path(__file__).parents[1] / "fixtures" / "mcp_echo_server.py"


def _echo_server(admin: httpx.Client) -> None:
    spec = {
        "name": "echo",
        "transport": "stdio",
        "command": sys.executable,
        "args": [str(ECHO_SERVER)],
        "timeout_seconds": 20,
    }
    pending = ok(admin.post("/api/mcp-servers", json=spec), 202)
    ok(admin.post(f"/api/admin/approvals/{pending['approval_id']}/approve"))


def test_mcp_tools_run_under_the_policy_and_guards(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    _echo_server(admin)
    body = {"name": "coder", "mcp_servers": ["echo"], "tool_policy": {"allow": ["echo__*"]}}
    agent_id = ok(admin.post("/api/agents", json=body), 201)["id"]
    llm.reply_tool_call("echo__add", {"a": 20, "b": 22})
    llm.reply_tool_call("echo__env", {"name": "~/.aws/credentials"})
    llm.reply_text("done")
    run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "go"}), 201)
    assert wait_for_run(admin, run["id"], seconds=60)["status"] == "completed"
    first = llm.chat_requests[0].json
    assert {"echo__add", "echo__env", "echo__crash"} <= {
        t["function"]["name"] for t in first["tools"]
    }
    answers = [m["content"] for m in llm.chat_requests[-1].json["messages"] if m["role"] == "tool"]
    assert answers[0] == "42" and "Refused by the tool policy" in answers[1]
    events = events_of(admin, run["id"])
    blocked = next(e["payload"] for e in events if e["type"] == "tool.blocked")
    assert blocked["tool"] == "echo__env" and blocked["reasons"][0]["rule"] == "file.denied"


def test_mcp_tools_default_to_asking_first(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    _echo_server(admin)
    agent_id = ok(admin.post("/api/agents", json={"name": "c", "mcp_servers": ["echo"]}), 201)["id"]
    llm.reply_tool_call("echo__add", {"a": 1, "b": 2})
    run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "go"}), 201)
    deadline = time.monotonic() + 30
    while ok(admin.get(f"/api/runs/{run['id']}"))["status"] != "waiting_approval":
        assert time.monotonic() < deadline, "the run never asked"
        time.sleep(0.02)
    (call,) = ok(admin.get(f"/api/runs/{run['id']}/approvals"))
    assert call["payload"]["tool"] == "echo__add" and call["payload"]["approver"] == "user"
    llm.reply_text("three")
    ok(admin.post(f"/api/runs/{run['id']}/decision", json={"approve": True}))
    assert wait_for_run(admin, run["id"], seconds=60)["status"] == "completed"
    answers = [m["content"] for m in llm.chat_requests[-1].json["messages"] if m["role"] == "tool"]
    assert answers == ["3"]
