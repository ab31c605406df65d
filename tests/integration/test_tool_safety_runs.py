"""The built-in tools in real runs: guards, sandbox and skills as the model meets them."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.storage.models import AuditEvent
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ok
from tests.support.db import eventually
from tests.support.runs import events_of, wait_for_run


def _agent(client: httpx.Client, tools: list[str], **extra: object) -> str:
    body = {"name": "worker", "tools": tools, **extra}
    agent_id: str = ok(client.post("/api/agents", json=body), 201)["id"]
    return agent_id


def _tool_answers(llm: FakeOpenAIServer) -> list[str]:
    return [
        m["content"]
        for request in llm.chat_requests
        for m in request.json["messages"]
        if m["role"] == "tool"
    ]


def test_reading_an_ssh_key_is_blocked_and_audited(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    llm.reply_tool_call("shell", {"command": "cat ~/.ssh/id_rsa"})
    llm.reply_text("I cannot read that file.")
    run = ok(
        admin.post("/api/runs", json={"agent_id": _agent(admin, ["shell"]), "input": "x"}), 201
    )
    done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed"
    events = events_of(admin, run["id"])
    blocked = next(e["payload"] for e in events if e["type"] == "tool.blocked")
    assert blocked["tool"] == "shell" and blocked["danger"] == "critical"
    assert "file.denied" in {r["rule"] for r in blocked["reasons"]}
    assert "Refused by the tool policy" in _tool_answers(llm)[-1]

    async def audited(session: AsyncSession) -> list[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.action == "tool.blocked")
        return list(await session.scalars(query))

    (row,) = eventually(settings.database_url, audited, lambda rows: len(rows) >= 1)
    assert row.status == "denied" and row.resource_id == "shell"
    assert row.detail["run_id"] == run["id"] and "file.denied" in row.detail["rules"]


def test_a_sudo_command_waits_for_an_admin_then_runs(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    """`sudo` is never run silently; approved, it runs (and fails: nobody is root here)."""
    llm.reply_tool_call("shell", {"command": "sudo -n true; echo done-$((6*7))"})
    run = ok(
        admin.post("/api/runs", json={"agent_id": _agent(admin, ["shell"]), "input": "x"}), 201
    )
    deadline = time.monotonic() + 20
    while ok(admin.get(f"/api/runs/{run['id']}"))["status"] != "waiting_approval":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    (call,) = ok(admin.get(f"/api/runs/{run['id']}/approvals"))
    assert call["payload"]["tool"] == "shell" and call["risk"] == "critical"
    assert "shell.privilege" in {f["rule"] for f in call["findings"]}
    llm.reply_text("Done.")
    ok(admin.post(f"/api/admin/approvals/{call['id']}/approve"))
    assert wait_for_run(admin, run["id"])["status"] == "completed"
    assert "done-42" in _tool_answers(llm)[-1]


def test_files_and_shell_work_in_the_workspace(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    agent_id = _agent(admin, ["write_file", "edit_file", "shell"], tool_policy={"allow": ["shell"]})
    llm.reply_tool_call("write_file", {"path": "notes/todo.txt", "content": "buy milk\n"})
    llm.reply_tool_call(
        "edit_file", {"path": "notes/todo.txt", "old_string": "milk", "new_string": "oat milk"}
    )
    llm.reply_tool_call("shell", {"command": "cat notes/todo.txt && echo $NEXORA_HOME-x"})
    llm.reply_text("Noted.")
    run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "note it"}), 201)
    assert wait_for_run(admin, run["id"])["status"] == "completed"
    wrote, edited, shown = _tool_answers(llm)[-3:]
    assert "notes/todo.txt" in wrote
    assert "-buy milk" in edited and "+buy oat milk" in edited
    assert "buy oat milk" in shown and "-x" in shown and "home" not in shown.split("-x")[0]
    types = [e["type"] for e in events_of(admin, run["id"])]
    assert types.count("tool.called") == 3 and types.count("tool.result") == 3
    assert "tool.blocked" not in types


def test_the_model_sees_skills_and_loads_one(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    llm.reply_tool_call("load_skill", {"name": "documents"})
    llm.reply_text("I know how now.")
    agent_id = _agent(admin, [], memory={"enabled": False})  # no memory tools besides
    run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "x"}), 201)
    assert wait_for_run(admin, run["id"])["status"] == "completed"
    first: dict[str, Any] = llm.chat_requests[0].json
    system = " ".join(m["content"] for m in first["messages"] if m["role"] == "system")
    assert "<available_skills>" in system and "<name>documents</name>" in system
    assert [t["function"]["name"] for t in first["tools"]] == ["load_skill"]
    assert "extract_text.py" in _tool_answers(llm)[-1]
