"""Memory in real runs: the model's memory tools, core blocks in the prompt, and the events
and history that let people see and undo what the agent wrote."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ok
from tests.support.runs import events_of, wait_for_run

MEMORY_TOOLS = {
    "memory_search",
    "core_memory_append",
    "core_memory_replace",
    "archival_insert",
    "archival_search",
}


def _agent(client: httpx.Client, **extra: object) -> str:
    agent_id: str = ok(client.post("/api/agents", json={"name": "keeper", **extra}), 201)["id"]
    return agent_id


def _run(client: httpx.Client, agent_id: str, text: str = "hello") -> dict[str, Any]:
    run = ok(client.post("/api/runs", json={"agent_id": agent_id, "input": text}), 201)
    done = wait_for_run(client, run["id"])
    assert done["status"] == "completed", done
    return done


def _system(request: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in request["messages"] if m["role"] == "system")


def _written(client: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    return [e for e in events_of(client, run_id) if e["type"] == "memory.written"]


def _tool_answers(llm: FakeOpenAIServer) -> list[str]:
    last = llm.chat_requests[-1].json["messages"]
    return [m["content"] for m in last if m["role"] == "tool"]


def test_a_fact_the_model_keeps_is_in_the_next_runs_prompt(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent_id = _agent(admin)
    llm.reply_tool_call("core_memory_append", {"label": "human", "text": "Prefers tea to coffee."})
    llm.reply_text("Noted.")
    first = _run(admin, agent_id, "I prefer tea.")
    opening = llm.chat_requests[0].json
    assert {t["function"]["name"] for t in opening["tools"]} >= MEMORY_TOOLS
    system = _system(opening)
    assert "<core_memory>" in system and 'label="human" chars="0/2000"' in system
    assert "Prefers tea" not in system
    assert "now holds 22 of 2000 characters" in _tool_answers(llm)[-1]

    written = [e["payload"] for e in events_of(admin, first["id"]) if e["type"] == "memory.written"]
    (event,) = written
    assert event["tool"] == "core_memory_append" and event["label"] == "human"
    assert event["private"] is True and len(event["change_ids"]) == 2  # created, then written

    llm.reply_text("Tea it is.")
    _run(admin, agent_id, "What should I drink?")
    system = _system(llm.chat_requests[-1].json)
    assert 'label="human" chars="22/2000" scope="this user only"' in system
    assert "Prefers tea to coffee." in system

    (block,) = ok(admin.get("/api/memory/blocks", params={"agent_id": agent_id}))
    assert block["label"] == "human" and block["value"] == "Prefers tea to coffee."
    history = ok(admin.get(f"/api/memory/blocks/{block['id']}/history"))
    assert [(c["action"], c["origin"], c["run_id"]) for c in history] == [
        ("create", "agent", first["id"]),
        ("update", "agent", first["id"]),
    ]


def test_the_block_changed_in_a_run_shows_at_its_next_step(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent_id = _agent(admin)
    llm.reply_tool_call("core_memory_append", {"label": "goals", "text": "Ship the beta."})
    llm.reply_tool_call(
        "core_memory_replace", {"label": "goals", "old": "the beta", "new": "version 1.0"}
    )
    llm.reply_text("Updated.")
    run = _run(admin, agent_id)
    second, third = (_system(r.json) for r in llm.chat_requests[1:3])
    assert "Ship the beta." in second
    assert "Ship version 1.0." in third and "the beta" not in third
    tools = [
        e["payload"]["tool"] for e in events_of(admin, run["id"]) if e["type"] == "memory.written"
    ]
    assert tools == ["core_memory_append", "core_memory_replace"]


def test_a_block_over_its_limit_is_refused_with_a_reason(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent_id = _agent(admin, memory={"core_block_chars": 100})
    llm.reply_tool_call("core_memory_append", {"label": "persona", "text": "x" * 150})
    llm.reply_text("Too long.")
    run = _run(admin, agent_id)
    assert "at most 100 characters" in _tool_answers(llm)[-1]
    assert "memory.written" not in {e["type"] for e in events_of(admin, run["id"])}


def test_a_memory_disabled_agent_gets_no_tools_and_no_blocks(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent_id = _agent(admin, memory={"enabled": False}, tools=["core_memory_append"])
    _run(admin, agent_id)
    request = llm.chat_requests[-1].json
    offered = {t["function"]["name"] for t in request.get("tools", [])}
    assert not offered & MEMORY_TOOLS
    assert "<core_memory>" not in _system(request)


def test_archival_insert_stores_a_shared_note_with_its_run(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent_id = _agent(admin)
    note = {"text": "The VPN gateway is vpn.example.org.", "source": "ops wiki"}
    llm.reply_tool_call("archival_insert", note)
    llm.reply_tool_call("archival_insert", note)
    llm.reply_text("Stored.")
    run = _run(admin, agent_id)
    stored, again = _tool_answers(llm)[-2:]
    assert stored.startswith("Stored in archival memory") and again.startswith("Already")
    # Archival only: the run's turns become episodic messages in the background.
    archival = {"agent_id": agent_id, "layer": "archival"}
    (item,) = ok(admin.get("/api/memory/items", params=archival))["items"]
    assert item["layer"] == "archival" and item["kind"] == "note"
    assert item["origin"] == "agent" and item["run_id"] == run["id"]
    assert item["user_id"] is None and item["source"] == "ops wiki"
    (event,) = [e["payload"] for e in events_of(admin, run["id"]) if e["type"] == "memory.written"]
    assert event["id"] == item["id"] and event["tool"] == "archival_insert"


def test_people_undo_what_the_agent_wrote(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    agent_id = _agent(admin)
    llm.reply_tool_call("core_memory_append", {"label": "persona", "text": "Answer in French."})
    llm.reply_tool_call("archival_insert", {"text": "Wrong: the office closes at noon."})
    llm.reply_text("Done.")
    run = _run(admin, agent_id)
    feed = ok(admin.get("/api/memory/changes", params={"agent_id": agent_id, "origin": "agent"}))
    assert feed["total"] == 3 and {c["run_id"] for c in feed["items"]} == {run["id"]}
    events = [e["payload"] for e in events_of(admin, run["id"]) if e["type"] == "memory.written"]
    block_update = events[0]["change_ids"][-1]
    item_create = events[1]["change_ids"][0]

    undone = ok(admin.post(f"/api/memory/changes/{block_update}/revert"))
    assert undone == {
        "target": "block",
        "target_id": events[0]["id"],
        "version": 3,
        "value": "",
        "status": "active",
    }
    undone = ok(admin.post(f"/api/memory/changes/{item_create}/revert"))
    assert undone["status"] == "retired"
    archival = {"agent_id": agent_id, "layer": "archival"}
    assert ok(admin.get("/api/memory/items", params=archival))["total"] == 0

    llm.reply_text("Bonjour?")
    _run(admin, agent_id)
    assert "Answer in French." not in _system(llm.chat_requests[-1].json)
    people = ok(admin.get("/api/memory/changes", params={"agent_id": agent_id, "origin": "person"}))
    assert {c["reason"] for c in people["items"]} == {
        f"reverts change {block_update}",
        f"reverts change {item_create}",
    }
    # Several origins at once: what was written without a person, without the people's
    # reverts: the agent's three changes and the two runs' turns, kept automatically as
    # episodic messages once each run ended (in the background, so waited for).
    mixed = {"agent_id": agent_id, "origin": ["auto", "agent"]}
    deadline = time.monotonic() + 10
    while ok(admin.get("/api/memory/changes", params=mixed))["total"] < 3 + 4:
        assert time.monotonic() < deadline, "the runs' turns were not kept"
        time.sleep(0.05)
    auto = ok(admin.get("/api/memory/changes", params={**mixed, "origin": "auto"}))
    assert auto["total"] == 4 and {c["action"] for c in auto["items"]} == {"create"}
    assert ok(admin.get("/api/memory/changes", params=mixed))["total"] == 7
    assert ok(admin.get("/api/memory/changes", params={"agent_id": agent_id}))["total"] == 9


def test_a_search_of_core_memory_is_a_memory_searched_event(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent_id = _agent(admin)
    body = {"agent_id": agent_id, "label": "persona", "value": "Sign every answer as Ada."}
    block = ok(admin.post("/api/memory/blocks", json=body), 201)
    llm.reply_tool_call("memory_search", {"query": "how to sign answers", "layers": ["core"]})
    llm.reply_text("As Ada.")
    run = _run(admin, agent_id)
    assert "(core/block from persona" in _tool_answers(llm)[-1]
    (searched,) = [
        e["payload"] for e in events_of(admin, run["id"]) if e["type"] == "memory.searched"
    ]
    assert searched["tool"] == "memory_search" and searched["layers"] == ["core"]
    assert [hit["id"] for hit in searched["hits"]] == [block["id"]]

    found = ok(
        admin.post(
            "/api/memory/search",
            json={"agent_id": agent_id, "query": "sign answers", "layers": ["core"]},
        )
    )
    (hit,) = found["items"]
    assert hit["id"] == block["id"] and hit["layer"] == "core" and hit["source"] == "persona"


def test_what_the_model_stores_it_finds_again_in_a_later_run(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent_id = _agent(admin)
    notes = [
        {"text": "The staging database is restored from backup every Sunday night."},
        {"text": "报销流程里发票需要在月底前提交给财务部", "source": "财务手册"},
    ]
    for note in notes:
        llm.reply_tool_call("archival_insert", note)
    llm.reply_text("Stored both.")
    first = _run(admin, agent_id)

    llm.reply_tool_call("archival_search", {"query": "when is staging restored?"})
    llm.reply_tool_call("memory_search", {"query": "发票 财务", "layers": ["archival", "episodic"]})
    llm.reply_text("Found them.")
    second = _run(admin, agent_id)
    by_staging, by_invoice = _tool_answers(llm)[-2:]
    assert by_staging.startswith("[1] (archival/note") and "every Sunday night" in by_staging
    assert by_invoice.startswith("[1] (archival/note from 财务手册") and "发票" in by_invoice

    stored = [e["payload"]["id"] for e in _written(admin, first["id"])]
    searched = [
        e["payload"] for e in events_of(admin, second["id"]) if e["type"] == "memory.searched"
    ]
    assert [s["tool"] for s in searched] == ["archival_search", "memory_search"]
    assert searched[0]["hits"][0]["id"] == stored[0]
    assert searched[1]["hits"][0]["id"] == stored[1]
    assert searched[1]["layers"] == ["archival", "episodic"]
