"""Runs over HTTP on both backends: lifecycle, tools, events, SSE resume, cancel, tenancy."""

from __future__ import annotations

import threading
import time

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.storage.models import AuditEvent, TokenUsage
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import eventually
from tests.support.runs import counting_tool, events_of, wait_for_run
from tests.support.server import RunningServer
from tests.support.sse import stream


def _agent(admin: httpx.Client, **extra: object) -> str:
    body = {"name": "assistant", "persona": "You are helpful.", **extra}
    agent_id: str = ok(admin.post("/api/agents", json=body), 201)["id"]
    return agent_id


def test_run_completes_with_output_usage_and_events(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply_text("Hello there, friend.", usage=(12, 4))
    agent_id = _agent(admin)
    run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "hi"}), 201)
    assert run["status"] == "pending"
    done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed", done
    assert done["output"] == "Hello there, friend."
    assert done["usage"] == {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}
    assert done["step_count"] >= 1 and done["model"] == "openai:fake-model"
    events = events_of(admin, run["id"])
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    types = [e["type"] for e in events]
    assert types[0] == "run.started" and types[-1] == "run.completed"
    assert {"step.started", "llm.called", "llm.token", "step.completed"} <= set(types)
    text = "".join(e["payload"]["delta"] for e in events if e["type"] == "llm.token")
    assert text == "Hello there, friend."
    persona = llm.chat_requests[0].json["messages"][0]
    assert persona["role"] == "system" and "You are helpful." in persona["content"]
    only_tokens = ok(admin.get(f"/api/runs/{run['id']}/events", params={"type": "llm.token"}))
    assert {e["type"] for e in only_tokens["items"]} == {"llm.token"}
    page = ok(admin.get(f"/api/runs/{run['id']}/events", params={"cursor": seqs[1], "limit": 2}))
    assert [e["seq"] for e in page["items"]] == seqs[2:4] and page["next_cursor"] == seqs[3]


def test_tool_calling_run(admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings) -> None:
    llm.reply_tool_call("add", {"a": 40, "b": 2})
    llm.reply_text("The answer is 42.")
    with counting_tool() as counter:
        agent_id = _agent(admin, tools=["add"])
        run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "40+2?"}), 201)
        done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed", done
    assert done["output"] == "The answer is 42."
    assert counter.calls == [{"a": 40, "b": 2}]
    assert len(llm.chat_requests) == 2
    tool_msg = llm.chat_requests[1].json["messages"][-1]
    assert tool_msg["role"] == "tool" and tool_msg["content"] == "42"
    events = events_of(admin, run["id"])
    called = next(e for e in events if e["type"] == "tool.called")
    result = next(e for e in events if e["type"] == "tool.result")
    assert called["payload"]["tool"] == "add" and called["payload"]["args"] == {"a": 40, "b": 2}
    assert result["payload"]["content"] == "42"
    assert done["step_count"] == 3  # model (tool call), tools, model (answer)

    async def tool_audit(session: AsyncSession) -> list[tuple[str | None, str | None, str]]:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == "tool.exec"))
        return [(r.actor_id, r.resource_id, r.detail["run_id"]) for r in rows]

    me = ok(admin.get("/api/auth/me"))
    audited = eventually(settings.database_url, tool_audit, lambda rows: len(rows) >= 1)
    assert audited == [(me["user_id"], "add", run["id"])]


def test_unknown_tool_fails_the_run_clearly(admin: httpx.Client) -> None:
    agent_id = _agent(admin, tools=["not_installed"])
    run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "x"}), 201)
    done = wait_for_run(admin, run["id"])
    assert done["status"] == "failed" and "not_installed" in done["error"]


def test_provider_failure_fails_run_with_reason(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    for _ in range(10):
        llm.reply_error(400, message="model does not exist")
    run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "x"}), 201)
    done = wait_for_run(admin, run["id"])
    assert done["status"] == "failed" and "model does not exist" in done["error"]
    assert events_of(admin, run["id"])[-1]["type"] == "run.failed"


def test_sse_replays_finished_run_and_resumes_with_last_event_id(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply_text("one two three four five six seven eight")
    run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "count"}), 201)
    wait_for_run(admin, run["id"])
    full = stream(admin, "GET", f"/api/runs/{run['id']}/stream")
    assert full[-1].event == "run.completed"
    assert [int(e.id or 0) for e in full] == [e["seq"] for e in events_of(admin, run["id"])]
    for cut in (1, 3, len(full) - 1):
        resumed = stream(
            admin,
            "GET",
            f"/api/runs/{run['id']}/stream",
            headers={"Last-Event-ID": full[cut - 1].id or ""},
        )
        assert [e.id for e in full[:cut] + resumed] == [e.id for e in full]
    assert full[0].json["type"] == "run.started" and full[0].event == "run.started"


def test_live_stream_resume_loses_and_duplicates_nothing(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    words = [f"w{i} " for i in range(60)]
    llm.reply_text("".join(words), chunks=words)
    run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "go"}), 201)
    first = stream(admin, "GET", f"/api/runs/{run['id']}/stream", stop_after=5)
    rest = stream(
        admin, "GET", f"/api/runs/{run['id']}/stream", headers={"Last-Event-ID": first[-1].id or ""}
    )
    seen = [int(e.id or 0) for e in first + rest]
    assert seen == sorted(set(seen))
    assert seen == [e["seq"] for e in events_of(admin, run["id"])]
    tokens = "".join(e.json["payload"]["delta"] for e in first + rest if e.event == "llm.token")
    assert tokens == "".join(words)


def test_two_subscribers_see_identical_streams(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    llm.reply(Reply(text="a b c d e f", delay=0.5))
    run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "go"}), 201)
    results: list[list[str]] = [[], []]

    def watch(slot: int) -> None:
        with httpx.Client(base_url=str(admin.base_url), headers=dict(admin.headers)) as client:
            results[slot] = [
                f"{e.id}:{e.event}:{e.data}"
                for e in stream(client, "GET", f"/api/runs/{run['id']}/stream")
            ]

    threads = [threading.Thread(target=watch, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results[0] and results[0] == results[1]
    assert results[0][-1].split(":")[1] == "run.completed"


def test_cancel_interrupts_a_slow_streaming_call(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply_slow(30)
    run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "slow"}), 201)
    deadline = time.monotonic() + 10
    while not llm.chat_requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert llm.chat_requests, "the model was never called"
    started = time.monotonic()
    ok(admin.post(f"/api/runs/{run['id']}/cancel"))
    done = wait_for_run(admin, run["id"], seconds=5)
    assert done["status"] == "cancelled"
    assert time.monotonic() - started < 1.0
    assert events_of(admin, run["id"])[-1]["type"] == "run.cancelled"
    # Cancelling again is harmless.
    assert ok(admin.post(f"/api/runs/{run['id']}/cancel"))["status"] == "cancelled"


def test_runs_are_tenant_scoped(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client, llm: FakeOpenAIServer
) -> None:
    run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "x"}), 201)
    org = ok(admin.post("/api/admin/orgs", json={"name": "other"}), 201)
    ok(
        admin.post(
            "/api/admin/users",
            json={
                "username": "intruder",
                "password": "password-123",
                "role": "admin",
                "org_id": org["id"],
            },
        ),
        201,
    )
    ok(
        admin.post("/api/admin/users", json={"username": "colleague", "password": "password-123"}),
        201,
    )
    for name in ("intruder", "colleague"):
        other = auth(login(anon, name, "password-123"))
        for method, path in [
            ("GET", f"/api/runs/{run['id']}"),
            ("GET", f"/api/runs/{run['id']}/events"),
            ("GET", f"/api/runs/{run['id']}/stream"),
            ("POST", f"/api/runs/{run['id']}/cancel"),
        ]:
            assert_problem(anon.request(method, path, headers=other), 404, "run not found")
        assert ok(anon.get("/api/runs", headers=other))["items"] == []
    intruder = auth(login(anon, "intruder", "password-123"))
    agent_id = ok(admin.get("/api/agents"))[0]["id"]
    assert_problem(
        anon.post("/api/runs", json={"agent_id": agent_id, "input": "x"}, headers=intruder), 404
    )


def test_bad_run_input(admin: httpx.Client) -> None:
    agent_id = _agent(admin)
    assert_problem(admin.post("/api/runs", json={"agent_id": agent_id, "input": ""}), 422, "input")
    assert_problem(admin.post("/api/runs", json={"agent_id": "nope", "input": "x"}), 404)
    assert_problem(admin.get("/api/runs/missing"), 404)


def test_usage_is_recorded_for_the_authenticated_user(
    server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply_text("fine", usage=(30, 3))
    me = ok(admin.get("/api/auth/me"))
    run = ok(admin.post("/api/runs", json={"agent_id": _agent(admin), "input": "x"}), 201)
    wait_for_run(admin, run["id"])

    async def rows(session: AsyncSession) -> list[tuple[str | None, str | None, int, int]]:
        found = await session.scalars(select(TokenUsage))
        return [(u.user_id, u.run_id, u.prompt_tokens, u.completion_tokens) for u in found]

    usage = eventually(server.platform.settings.database_url, rows, lambda r: len(r) >= 1)
    assert usage == [(me["user_id"], run["id"], 30, 3)]


def test_agent_is_offered_only_its_allowed_tools(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    with counting_tool("add"), counting_tool("multiply"):
        agent_id = _agent(admin, tools=["multiply"])
        run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "x"}), 201)
        wait_for_run(admin, run["id"])
    offered = [t["function"]["name"] for t in llm.chat_requests[0].json.get("tools", [])]
    # The built-in skills come with their loader, memory (on by default) with its tools.
    assert offered == [
        "multiply",
        "load_skill",
        "memory_search",
        "core_memory_append",
        "core_memory_replace",
        "archival_insert",
        "archival_search",
    ]


def test_runs_filter_by_agent_status_and_creation_time(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply_text("one")
    llm.reply_text("two")
    first_agent, second_agent = _agent(admin), _agent(admin, name="second")
    first = ok(admin.post("/api/runs", json={"agent_id": first_agent, "input": "a"}), 201)
    wait_for_run(admin, first["id"])
    time.sleep(0.01)  # distinct creation times on clocks with coarse resolution
    second = ok(admin.post("/api/runs", json={"agent_id": second_agent, "input": "b"}), 201)
    wait_for_run(admin, second["id"])

    def ids(**params: str) -> list[str]:
        return [r["id"] for r in ok(admin.get("/api/runs", params=params))["items"]]

    assert ids() == [second["id"], first["id"]]
    assert ids(agent_id=first_agent) == [first["id"]]
    assert ids(status="completed", agent_id=second_agent) == [second["id"]]
    assert ids(status="failed") == []
    assert ids(since=second["created_at"]) == [second["id"]]  # inclusive
    assert ids(until=second["created_at"]) == [first["id"]]  # exclusive
    assert ids(since=first["created_at"], until=second["created_at"]) == [first["id"]]
    assert ids(since="2999-01-01T00:00:00") == []
    backwards = {"since": second["created_at"], "until": first["created_at"]}
    assert_problem(admin.get("/api/runs", params=backwards), 422, "earlier than until")
