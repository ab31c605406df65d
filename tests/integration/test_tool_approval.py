"""ToolPolicy in real runs: refusals, calls that wait for a human, and what happens after."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.security.verdict import Danger, GuardResult, block
from nexora.storage.base import utcnow
from nexora.storage.models import Approval, AuditEvent
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import eventually, query
from tests.support.runs import counting_tool, events_of, wait_for_run
from tests.support.sse import stream


def _agent(client: httpx.Client, **extra: object) -> str:
    body = {"name": "assistant", "tools": ["add"], **extra}
    agent_id: str = ok(client.post("/api/agents", json=body), 201)["id"]
    return agent_id


def _wait_status(client: httpx.Client, run_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        run: dict[str, Any] = ok(client.get(f"/api/runs/{run_id}"))
        if run["status"] == status:
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} never reached {status}: {run}")


def _operator(admin: httpx.Client, anon: httpx.Client, agent_id: str) -> dict[str, str]:
    body = {"username": "olga", "password": "password-123", "role": "operator"}
    user = ok(admin.post("/api/admin/users", json=body), 201)
    ok(admin.post("/api/admin/grants", json={"user_id": user["id"], "agent_id": agent_id}), 201)
    return auth(login(anon, "olga", "password-123"))


def _never(args: object, context: object) -> GuardResult:
    return GuardResult.of([block("test.never", "this call is never allowed")])


def test_blocked_call_never_runs_and_is_reported(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    llm.reply_tool_call("add", {"a": 1, "b": 2})
    llm.reply_text("I may not do that.")
    with counting_tool(assess=_never) as counter:
        run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "1+2"}), 201)
        done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed" and counter.calls == []
    events = events_of(admin, run["id"])
    blocked = next(e["payload"] for e in events if e["type"] == "tool.blocked")
    assert blocked["tool"] == "add" and blocked["danger"] == "critical"
    assert [r["rule"] for r in blocked["reasons"]] == ["test.never"]
    refusal = llm.chat_requests[1].json["messages"][-1]
    assert refusal["role"] == "tool" and "this call is never allowed" in refusal["content"]

    async def audited(session: AsyncSession) -> list[AuditEvent]:
        return list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action.like("tool.%")))
        )

    rows = eventually(settings.database_url, audited, lambda rows: len(rows) >= 1)
    assert [(r.action, r.status, r.resource_id) for r in rows] == [
        ("tool.blocked", "denied", "add")
    ]
    assert rows[0].detail["rules"] == ["test.never"] and rows[0].detail["run_id"] == run["id"]


def test_high_danger_call_waits_for_an_admin_and_resumes_where_it_stopped(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    llm.reply_tool_call("add", {"a": 40, "b": 2})
    with counting_tool(danger=Danger.HIGH) as counter:
        agent_id = _agent(admin)
        run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "40+2"}), 201)
        waiting = _wait_status(admin, run["id"], "waiting_approval")
        assert counter.calls == [] and len(llm.chat_requests) == 1
        assert waiting["output"] is None
        asked = next(
            e["payload"]
            for e in events_of(admin, run["id"])
            if e["type"] == "tool.requires_approval"
        )
        assert asked["tool"] == "add" and asked["danger"] == "high"
        assert asked["approver"] == "admin"
        queue = ok(admin.get("/api/admin/approvals", params={"status": "pending"}))["items"]
        (item,) = [a for a in queue if a["kind"] == "tool_call"]
        assert item["id"] == asked["approval_id"] and item["target"] == run["id"]
        assert item["payload"]["args"] == {"a": 40, "b": 2} and item["risk"] == "high"
        # A second, harmless run is not held up: the waiting one holds no worker.
        llm.reply_text("still here")
        other = ok(
            admin.post("/api/runs", json={"agent_id": _agent(admin, name="other"), "input": "hi"}),
            201,
        )
        assert wait_for_run(admin, other["id"])["status"] == "completed"

        llm.reply_text("The answer is 42.")
        ok(admin.post(f"/api/admin/approvals/{item['id']}/approve"))
        done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed" and done["output"] == "The answer is 42."
    assert counter.calls == [{"a": 40, "b": 2}]
    # The model was not asked again for the step that made the call.
    assert len(llm.chat_requests) == 3
    answer = llm.chat_requests[2].json["messages"][-1]
    assert answer["role"] == "tool" and answer["content"] == "42"
    types = [e["type"] for e in events_of(admin, run["id"])]
    assert types.index("tool.requires_approval") < types.index("run.resumed")
    assert types[-1] == "run.completed" and "tool.result" in types

    async def audited(session: AsyncSession) -> list[str]:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["tool.exec", "approval.approved"]))
        )
        return sorted(r.action for r in rows)

    assert eventually(settings.database_url, audited, lambda a: len(a) >= 2) == [
        "approval.approved",
        "tool.exec",
    ]


def test_rejected_call_continues_with_a_refusal_the_model_sees(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply_tool_call("add", {"a": 1, "b": 1})
    llm.reply_text("Understood, I will not add.")
    with counting_tool(danger=Danger.CRITICAL) as counter:
        run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "1+1"}), 201)
        _wait_status(admin, run["id"], "waiting_approval")
        (pending,) = ok(admin.get(f"/api/runs/{run['id']}/approvals"))
        body = {"reason": "not on a Friday"}
        ok(admin.post(f"/api/admin/approvals/{pending['id']}/reject", json=body))
        done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed" and counter.calls == []
    refusal = llm.chat_requests[1].json["messages"][-1]
    assert refusal["role"] == "tool" and "not on a Friday" in refusal["content"]


def test_an_expired_request_is_a_refusal(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    llm.reply_tool_call("add", {"a": 2, "b": 2})
    llm.reply_text("Nobody answered.")
    with counting_tool(danger=Danger.HIGH) as counter:
        run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "2+2"}), 201)
        _wait_status(admin, run["id"], "waiting_approval")

        async def overdue(session: AsyncSession) -> None:
            await session.execute(
                update(Approval)
                .where(Approval.target == run["id"])
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()

        query(settings.database_url, overdue)
        ok(admin.get("/api/admin/approvals"))  # reading the queue expires overdue requests
        done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed" and counter.calls == []
    refusal = llm.chat_requests[1].json["messages"][-1]
    assert "in time" in refusal["content"]


def test_chat_confirm_follows_the_policy(
    admin: httpx.Client, anon: httpx.Client, llm: FakeOpenAIServer
) -> None:
    """The run's user may confirm a medium call in chat, but never a high one."""
    with counting_tool(danger=Danger.MEDIUM) as counter:
        agent_id = _agent(admin)
        olga = _operator(admin, anon, agent_id)
        llm.reply_tool_call("add", {"a": 2, "b": 3})
        llm.reply_text("Five.")
        opened = stream(
            anon,
            "POST",
            "/api/chat",
            headers=olga,
            json_body={"agent_id": agent_id, "message": "2+3"},
            until="tool.requires_approval",
        )
        session_id = opened[0].json["session_id"]
        run_id = opened[0].json["run_id"]
        _wait_status(admin, run_id, "waiting_approval")
        (call,) = ok(anon.get(f"/api/runs/{run_id}/approvals", headers=olga))
        assert call["payload"]["approver"] == "user"
        answered = stream(
            anon,
            "POST",
            "/api/chat",
            headers=olga,
            json_body={"session_id": session_id, "message": "/confirm"},
        )
        assert answered[-1].event == "run.completed"
        assert counter.calls == [{"a": 2, "b": 3}]

    # The session's title is written by the model after its first run: let that happen first.
    deadline = time.monotonic() + 10
    while len(llm.chat_requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    with counting_tool(danger=Danger.HIGH) as counter:
        llm.reply_tool_call("add", {"a": 9, "b": 9})
        llm.reply_text("Eighteen.")
        opened = stream(
            anon,
            "POST",
            "/api/chat",
            headers=olga,
            json_body={"session_id": session_id, "message": "9+9"},
            until="tool.requires_approval",
        )
        run_id = opened[0].json["run_id"]
        _wait_status(admin, run_id, "waiting_approval")
        refused = anon.post(
            "/api/chat", headers=olga, json={"session_id": session_id, "message": "/confirm"}
        )
        assert_problem(refused, 403, "admin")
        assert_problem(
            anon.post(f"/api/runs/{run_id}/decision", headers=olga, json={"approve": True}), 403
        )
        ok(admin.post(f"/api/runs/{run_id}/decision", json={"approve": True}))
        assert wait_for_run(admin, run_id)["status"] == "completed"
        assert counter.calls == [{"a": 9, "b": 9}]


def test_role_rules_and_agent_policy(
    admin: httpx.Client, anon: httpx.Client, llm: FakeOpenAIServer
) -> None:
    with counting_tool(danger=Danger.MEDIUM) as counter:
        # The agent lets medium `add` calls run without asking...
        agent_id = _agent(admin, tool_policy={"allow": ["add"]})
        llm.reply_tool_call("add", {"a": 1, "b": 1})
        llm.reply_text("Two.")
        run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "1+1"}), 201)
        assert wait_for_run(admin, run["id"])["status"] == "completed"
        assert counter.calls == [{"a": 1, "b": 1}]
        # ...but the org blocks it for operators.
        rules = {"value": {"operator": {"block": ["ad?"]}}}
        ok(admin.put("/api/admin/config/tool_rules_by_role", json=rules))
        olga = _operator(admin, anon, agent_id)
        llm.reply_tool_call("add", {"a": 5, "b": 5})
        llm.reply_text("Blocked.")
        run = ok(
            anon.post("/api/runs", headers=olga, json={"agent_id": agent_id, "input": "5+5"}), 201
        )
        assert wait_for_run(admin, run["id"])["status"] == "completed"
        assert counter.calls == [{"a": 1, "b": 1}]
        blocked = next(e for e in events_of(admin, run["id"]) if e["type"] == "tool.blocked")
        assert blocked["payload"]["reasons"][0]["rule"] == "policy.role_block"


def test_cancelling_a_waiting_run_withdraws_its_calls(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply_tool_call("add", {"a": 3, "b": 3})
    with counting_tool(danger=Danger.HIGH) as counter:
        run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "3+3"}), 201)
        _wait_status(admin, run["id"], "waiting_approval")
        assert ok(admin.post(f"/api/runs/{run['id']}/cancel"))["status"] == "cancelled"
        (call,) = ok(admin.get(f"/api/runs/{run['id']}/approvals"))
        assert call["status"] == "expired"
        assert_problem(admin.post(f"/api/admin/approvals/{call['id']}/approve"), 409)
    assert counter.calls == []
