"""`ask_agent` over HTTP on both backends: the sub-task is a child run the parent's trace links,
its answer is the tool's result, and reach, depth and fan-out are bounded."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer, Reply, ToolCall, mentions
from tests.support.api import auth, login, ok
from tests.support.runs import events_of, wait_for_run
from tests.support.server import RunningServer


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"delegation_max_depth": 2, "delegation_max_children": 2})


def _agent(admin: httpx.Client, name: str, persona: str, delegate_to: list[str]) -> str:
    body = {
        "name": name,
        "persona": persona,
        "tools": ["ask_agent"],
        "tool_policy": {"allow": ["ask_agent"]},
        "delegate_to": delegate_to,
    }
    agent_id: str = ok(admin.post("/api/agents", json=body), 201)["id"]
    return agent_id


def _ask(agent: str, task: str, call_id: str | None = None) -> ToolCall:
    return ToolCall("ask_agent", {"agent": agent, "task": task}, call_id)


def _tool_results(client: httpx.Client, run_id: str) -> list[str]:
    return [
        e["payload"]["content"] for e in events_of(client, run_id) if e["type"] == "tool.result"
    ]


def _children(client: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(client.get(f"/api/runs/{run_id}/children"))["items"]
    return items


def test_ask_agent_runs_a_linked_child_and_returns_its_answer(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    boss = _agent(admin, "boss", "You are the boss.", ["helper"])
    helper = _agent(admin, "helper", "You help.", [])
    llm.reply(Reply(tool_calls=(_ask("helper", "What is 6*7?"),)))
    llm.reply_text("42")
    llm.reply_text("The helper says 42.")
    run = ok(admin.post("/api/runs", json={"agent_id": boss, "input": "Ask the helper."}), 201)
    done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed" and done["output"] == "The helper says 42."
    (child,) = _children(admin, run["id"])
    assert child["parent_run_id"] == run["id"] and child["agent_id"] == helper
    assert child["status"] == "completed" and child["output"] == "42"
    assert child["input"] == "What is 6*7?"
    assert ok(admin.get(f"/api/runs/{child['id']}"))["parent_run_id"] == run["id"]
    assert "You help." in str(llm.chat_requests[1].json["messages"])
    events = events_of(admin, run["id"])
    started = next(e["payload"] for e in events if e["type"] == "delegation.started")
    assert started == {
        "child_run_id": child["id"],
        "agent_id": helper,
        "agent": "helper",
        "task": "What is 6*7?",
    }
    finished = next(e["payload"] for e in events if e["type"] == "delegation.finished")
    assert finished == {"child_run_id": child["id"], "agent_id": helper, "status": "completed"}
    assert _tool_results(admin, run["id"]) == ["42"]
    child_types = [e["type"] for e in events_of(admin, child["id"])]
    assert child_types[0] == "run.started" and child_types[-1] == "run.completed"


def test_delegation_depth_is_bounded(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    _agent(admin, "boss", "You are the boss.", ["helper"])
    helper = _agent(admin, "helper", "You help.", ["*"])
    boss = ok(admin.get("/api/agents"))
    boss_id = next(a["id"] for a in boss if a["name"] == "boss")
    llm.reply(Reply(tool_calls=(_ask("helper", "level one"),)))  # root boss
    llm.reply(Reply(tool_calls=(_ask("boss", "level two"),)))  # helper, depth 1
    llm.reply(Reply(tool_calls=(_ask("helper", "level three"),)))  # boss, depth 2: refused
    llm.reply_text("Could not go deeper.")
    llm.reply_text("Level two is done.")
    llm.reply_text("All done.")
    run = ok(admin.post("/api/runs", json={"agent_id": boss_id, "input": "Go deep."}), 201)
    done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed" and done["output"] == "All done."
    (first,) = _children(admin, run["id"])
    (second,) = _children(admin, first["id"])
    assert first["agent_id"] == helper and second["agent_id"] == boss_id
    assert _children(admin, second["id"]) == []
    (refusal,) = _tool_results(admin, second["id"])
    assert refusal.startswith("Delegation refused") and "at most 2 deep" in refusal
    assert second["output"] == "Could not go deeper." and first["output"] == "Level two is done."
    assert len(llm.chat_requests) == 6


def test_delegation_fan_out_is_bounded(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    boss = _agent(admin, "boss", "You are the boss.", ["helper"])
    _agent(admin, "helper", "You help.", [])
    llm.answer_when(mentions("You help."), lambda _: Reply(text="fine"))
    calls = tuple(_ask("helper", f"part {n}", f"call-{n}") for n in range(3))
    llm.reply(Reply(tool_calls=calls))
    llm.reply_text("Two parts done.")
    run = ok(admin.post("/api/runs", json={"agent_id": boss, "input": "Split it."}), 201)
    done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed", done
    assert len(_children(admin, run["id"])) == 2
    results = _tool_results(admin, run["id"])
    assert results.count("fine") == 2
    (refused,) = [r for r in results if r != "fine"]
    assert "at most 2 sub-runs" in refused


def test_unreachable_targets_are_refused(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client, llm: FakeOpenAIServer
) -> None:
    boss = _agent(admin, "boss", "You are the boss.", ["helper"])
    anyone = _agent(admin, "anyone", "You ask anyone.", ["*"])
    _agent(admin, "helper", "You help.", [])
    _agent(admin, "secret", "You keep secrets.", [])
    operator = ok(
        admin.post("/api/admin/users", json={"username": "op", "password": "password-1"}), 201
    )
    ok(admin.post("/api/admin/grants", json={"user_id": operator["id"], "agent_id": anyone}), 201)
    op = auth(login(anon, "op", "password-1"))

    # Not in the calling agent's delegate_to, and no such agent at all.
    llm.reply(Reply(tool_calls=(_ask("secret", "tell me"), _ask("nobody", "hi", "c2"))))
    llm.reply_text("Refused twice.")
    run = ok(admin.post("/api/runs", json={"agent_id": boss, "input": "x"}), 201)
    assert wait_for_run(admin, run["id"])["status"] == "completed"
    results = _tool_results(admin, run["id"])
    assert any("may not delegate to 'secret'" in r for r in results), results
    assert any("there is no agent 'nobody'" in r for r in results), results
    assert _children(admin, run["id"]) == []

    # The operator may use `anyone` but not `helper`: the run's user must reach the target.
    llm.reply(Reply(tool_calls=(_ask("helper", "help"),)))
    llm.reply_text("No help.")
    mine = ok(anon.post("/api/runs", json={"agent_id": anyone, "input": "x"}, headers=op), 201)
    assert wait_for_run(admin, mine["id"])["status"] == "completed"
    (refused,) = _tool_results(admin, mine["id"])
    assert "has no grant for 'helper'" in refused
    assert _children(admin, mine["id"]) == []


def test_a_child_cancelled_alone_ends_and_its_parent_goes_on(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    boss = _agent(admin, "boss", "You are the boss.", ["helper"])
    _agent(admin, "helper", "You help.", [])
    llm.answer_when(mentions("You help."), lambda _: Reply(text="late", delay=60))
    llm.reply(Reply(tool_calls=(_ask("helper", "take forever"),)))
    llm.reply_text("The helper was stopped.")
    run = ok(admin.post("/api/runs", json={"agent_id": boss, "input": "x"}), 201)
    deadline = time.monotonic() + 10
    while not (children := _children(admin, run["id"])):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    ok(admin.post(f"/api/runs/{children[0]['id']}/cancel"))
    done = wait_for_run(admin, run["id"], seconds=5)
    assert done["status"] == "completed" and done["output"] == "The helper was stopped."
    (child,) = _children(admin, run["id"])
    assert child["status"] == "cancelled" and child["error"] == "cancelled by request"
    (result,) = _tool_results(admin, run["id"])
    assert "could not finish" in result and "cancelled by request" in result
