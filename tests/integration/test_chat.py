"""Chat: stream the answer, attach instead of starting twice, stop, sessions and titles."""

from __future__ import annotations

import threading
import time

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.storage.models import AuditEvent
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import eventually
from tests.support.runs import wait_for_run
from tests.support.server import RunningServer
from tests.support.sse import stream


def _agent(admin: httpx.Client) -> str:
    agent_id: str = ok(admin.post("/api/agents", json={"name": "chatty"}), 201)["id"]
    return agent_id


def test_chat_streams_answer_and_keeps_history(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    llm.reply_text("Nice to meet you, Ada.", chunks=["Nice ", "to meet ", "you, Ada."])
    llm.reply_text("Hello Kitty")  # the generated title
    llm.reply_text("Your name is Ada.")
    agent_id = _agent(admin)
    events = stream(
        admin, "POST", "/api/chat", json_body={"agent_id": agent_id, "message": "I am Ada."}
    )
    opening = events[0]
    assert opening.event == "chat.session" and opening.json["attached"] is False
    session_id = opening.json["session_id"]
    tokens = "".join(e.json["payload"]["delta"] for e in events if e.event == "llm.token")
    assert tokens == "Nice to meet you, Ada."
    assert events[-1].event == "run.completed"

    deadline = time.monotonic() + 10
    while ok(admin.get(f"/api/sessions/{session_id}"))["title"] is None:
        assert time.monotonic() < deadline, "no title was generated"
        time.sleep(0.05)
    assert ok(admin.get(f"/api/sessions/{session_id}"))["title"] == "Hello Kitty"

    second = stream(
        admin,
        "POST",
        "/api/chat",
        json_body={"session_id": session_id, "message": "What is my name?"},
    )
    assert second[-1].json["payload"]["output"] == "Your name is Ada."
    # The earlier turn went to the model as history.
    sent = [m["content"] for m in llm.chat_requests[-1].json["messages"] if m["role"] != "system"]
    assert sent == ["I am Ada.", "Nice to meet you, Ada.", "What is my name?"]

    messages = ok(admin.get(f"/api/sessions/{session_id}/messages"))
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "I am Ada."),
        ("assistant", "Nice to meet you, Ada."),
        ("user", "What is my name?"),
        ("assistant", "Your name is Ada."),
    ]
    sessions = ok(admin.get("/api/sessions"))
    assert [s["id"] for s in sessions["items"]] == [session_id] and sessions["total"] == 1
    runs = ok(admin.get(f"/api/sessions/{session_id}/runs"))
    assert runs["total"] == 2


def test_second_message_attaches_to_the_running_run(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply(Reply(text="slow answer", delay=1.0))
    agent_id = _agent(admin)
    first = stream(
        admin, "POST", "/api/chat", json_body={"agent_id": agent_id, "message": "hi"}, stop_after=1
    )
    session_id, run_id = first[0].json["session_id"], first[0].json["run_id"]
    # The client went away; the run goes on. A new message attaches to it.
    again = stream(
        admin, "POST", "/api/chat", json_body={"session_id": session_id, "message": "hello?"}
    )
    assert again[0].json == {"session_id": session_id, "run_id": run_id, "attached": True}
    assert again[-1].event == "run.completed"
    assert ok(admin.get(f"/api/sessions/{session_id}/runs"))["total"] == 1
    assert len(llm.chat_requests) <= 2  # the answer (and perhaps the title), never a second run


def test_disconnect_does_not_stop_the_run(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    llm.reply(Reply(text="finished anyway", delay=0.5))
    events = stream(
        admin,
        "POST",
        "/api/chat",
        json_body={"agent_id": _agent(admin), "message": "hi"},
        stop_after=1,
    )
    done = wait_for_run(admin, events[0].json["run_id"])
    assert done["status"] == "completed" and done["output"] == "finished anyway"


def test_stop_cancels_the_session_run(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    llm.reply_slow(30)
    events = stream(
        admin,
        "POST",
        "/api/chat",
        json_body={"agent_id": _agent(admin), "message": "hi"},
        stop_after=1,
    )
    session_id, run_id = events[0].json["session_id"], events[0].json["run_id"]
    deadline = time.monotonic() + 10
    while not llm.chat_requests:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    stopped = ok(admin.post("/api/chat/stop", json={"session_id": session_id}))
    assert stopped["run_id"] == run_id
    assert wait_for_run(admin, run_id, seconds=5)["status"] == "cancelled"
    assert ok(admin.post("/api/chat/stop", json={"session_id": session_id}))["run_id"] is None


def test_sessions_are_private(admin: httpx.Client, anon: httpx.Client) -> None:
    events = stream(
        admin, "POST", "/api/chat", json_body={"agent_id": _agent(admin), "message": "secret"}
    )
    session_id = events[0].json["session_id"]
    ok(admin.post("/api/admin/users", json={"username": "bob", "password": "password-123"}), 201)
    bob = auth(login(anon, "bob", "password-123"))
    assert_problem(anon.get(f"/api/sessions/{session_id}/messages", headers=bob), 404)
    assert_problem(
        anon.post("/api/chat", json={"session_id": session_id, "message": "x"}, headers=bob), 404
    )
    assert_problem(anon.post("/api/chat/stop", json={"session_id": session_id}, headers=bob), 404)
    assert ok(anon.get("/api/sessions", headers=bob))["total"] == 0
    assert_problem(admin.post("/api/chat", json={"message": "x"}), 422, "agent_id")


def test_chat_actions_are_audited(
    server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply(Reply(text="x", delay=0.3))
    agent_id = _agent(admin)
    first = stream(
        admin, "POST", "/api/chat", json_body={"agent_id": agent_id, "message": "a"}, stop_after=1
    )
    session_id = first[0].json["session_id"]
    stream(
        admin,
        "POST",
        "/api/chat",
        json_body={"session_id": session_id, "message": "b"},
        headers={"User-Agent": "pytest-agent"},
    )
    ok(admin.post("/api/chat/stop", json={"session_id": session_id}))
    run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "c"}), 201)
    ok(admin.post(f"/api/runs/{run['id']}/cancel"))

    async def actions(session: AsyncSession) -> list[tuple[str, str | None]]:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.startswith("chat.") | AuditEvent.action.startswith("run."))
            .order_by(AuditEvent.seq)
        )
        return [(r.action, r.user_agent) for r in rows]

    found = eventually(server.platform.settings.database_url, actions, lambda a: len(a) >= 4)
    assert [a for a, _ in found] == [
        "chat.message.send",
        "chat.reconnect",
        "chat.stop",
        "run.cancel",
    ]
    assert found[1][1] == "pytest-agent"


def test_concurrent_first_messages_do_not_start_two_runs(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply(Reply(text="once", delay=0.5))
    agent_id = _agent(admin)
    opening = stream(
        admin, "POST", "/api/chat", json_body={"agent_id": agent_id, "message": "a"}, stop_after=1
    )
    session_id = opening[0].json["session_id"]
    seen: list[str] = []

    def send() -> None:
        with httpx.Client(base_url=str(admin.base_url), headers=dict(admin.headers)) as client:
            got = stream(
                client,
                "POST",
                "/api/chat",
                json_body={"session_id": session_id, "message": "b"},
                stop_after=1,
            )
            seen.append(got[0].json["run_id"])

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert set(seen) == {opening[0].json["run_id"]}
