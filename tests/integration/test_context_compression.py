"""Context compression: a long session's prompt stays within the model's budget, the summary
is written once and extended, and what was said early can still be found in memory."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.memory.compaction import SUMMARY_HEADER
from nexora.memory.index import memory_index
from nexora.memory.items import MemoryItems
from nexora.memory.scope import Scope
from nexora.memory.tokens import estimate_tokens
from nexora.storage.models import MemoryChange, MemoryItem
from tests.fakes.openai_server import FakeOpenAIServer, Reply, mentions
from tests.support.api import ADMIN_PASSWORD, login, ok
from tests.support.db import eventually, query
from tests.support.runs import events_of, wait_for_run
from tests.support.server import run_server
from tests.support.sse import stream

WINDOW = 1200  # tokens; the history may fill half of it
SUMMARISER = "You compress a conversation"
FILLER = "Please explain it with an example, step by step, and mention the trade-offs. " * 3
ANSWER = "Here is a careful answer with an example and the trade-offs you asked about. " * 3
TURNS = 16


def summarise(body: dict[str, Any]) -> Reply:
    """A fake summariser that, like a model, keeps what the user said: the summary so far
    plus the start of each user line that follows."""
    prompt = next(m["content"] for m in body["messages"] if m["role"] == "user")
    earlier, _, turns = prompt.partition("Turns that follow:\n")
    so_far = earlier.removeprefix("Summary so far:\n").strip().removeprefix("(none)")
    said = [line[6:46] for line in turns.splitlines() if line.startswith("user: ")]
    return Reply(text=" ".join(filter(None, [so_far, *[f"User: {s}." for s in said]]))[:560])


def _history(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a prompt carries of the session: neither the agent's instructions (a system
    message of their own) nor the new question."""
    return [
        m
        for m in messages[:-1]
        if m["role"] != "system" or str(m["content"]).startswith(SUMMARY_HEADER)
    ]


def _size(messages: list[dict[str, Any]]) -> int:
    return sum(estimate_tokens(str(m.get("content") or "")) + 4 for m in messages)


def test_long_session_keeps_a_bounded_prompt_and_early_facts(
    settings: Settings, llm: FakeOpenAIServer
) -> None:
    llm.default = Reply(text=ANSWER)
    llm.answer_when(mentions(SUMMARISER), summarise)
    llm.answer_when(mentions("Write a title"), lambda _: Reply(text="Locker chat"))
    url = settings.database_url
    compressed = settings.model_copy(update={"context_windows": {"openai:fake-model": WINDOW}})
    budget = WINDOW // 2

    async def messages(session: AsyncSession) -> list[MemoryItem]:
        return list(await session.scalars(select(MemoryItem).where(MemoryItem.kind == "message")))

    with run_server(compressed) as server, server.client() as anon:
        admin = server.client(login(anon, "admin", ADMIN_PASSWORD))
        agent_id = ok(admin.post("/api/agents", json={"name": "tutor"}), 201)["id"]
        opening = stream(
            admin,
            "POST",
            "/api/chat",
            json_body={"agent_id": agent_id, "message": "Remember: my locker code is 4711."},
        )
        session_id = opening[0].json["session_id"]
        runs = [opening[0].json["run_id"]]
        prompts: list[list[dict[str, Any]]] = []
        for turn in range(1, TURNS):
            body = {
                "agent_id": agent_id,
                "session_id": session_id,
                "input": f"Question {turn}: what is topic {turn} about? {FILLER}",
            }
            run = ok(admin.post("/api/runs", json=body), 201)
            assert wait_for_run(admin, run["id"])["status"] == "completed"
            runs.append(run["id"])
            answer = [r for r in llm.chat_requests if SUMMARISER not in json.dumps(r.json)][-1]
            prompts.append(answer.json["messages"])
        compactions = [
            e["payload"]
            for run_id in runs
            for e in events_of(admin, run_id)
            if e["type"] == "memory.compacted"
        ]
        # Every turn is in episodic memory, the folded first one included: stored once the
        # runs stop (memory work yields to them), one job at a time.
        kept = eventually(url, messages, lambda items: len(items) == 2 * TURNS, seconds=60)
        admin.close()

    histories = [_size(_history(p)) for p in prompts]
    uncompressed = _size([{"content": m} for m in [FILLER, ANSWER] * (TURNS - 1)])
    print(
        f"\nsession history tokens per turn (budget {budget}): {histories}; "
        f"whole prompts: {[_size(p) for p in prompts]}; "
        f"the last history uncompressed: {uncompressed}"
    )
    assert max(histories) <= budget
    assert histories[-1] < uncompressed / 2

    # Summaries were written only when the window overflowed, each extending the last.
    summariser_calls = [r for r in llm.chat_requests if SUMMARISER in json.dumps(r.json)]
    assert 2 <= len(compactions) == len(summariser_calls) < TURNS // 2
    assert all(c["turns"] >= 2 and c["tokens"] > 0 for c in compactions)
    assert all(c["history_tokens"] <= c["budget"] == budget for c in compactions)
    assert len({c["summary_id"] for c in compactions}) == 1
    later = json.dumps(summariser_calls[-1].json["messages"])
    assert "my locker code is 4711" in later  # the summary so far went into the extension

    last = _history(prompts[-1])
    assert last[0]["role"] == "system" and last[0]["content"].startswith(SUMMARY_HEADER)
    assert "locker code is 4711" in last[0]["content"]
    assert not any("4711" in str(m["content"]) for m in last[1:])  # the turn itself was folded

    async def summary(session: AsyncSession) -> tuple[MemoryItem, list[MemoryChange]]:
        item = await session.scalar(
            select(MemoryItem).where(MemoryItem.kind == "summary", MemoryItem.status == "active")
        )
        assert item is not None
        return item, await MemoryItems().history(session, item.org_id, item.id)

    item, changes = query(url, summary)
    assert item.session_id == session_id and item.origin == "auto"
    assert item.version == len(compactions)
    assert [c.action for c in changes] == ["create"] + ["update"] * (len(compactions) - 1)
    assert all((c.reason or "").startswith("context compression") for c in changes)

    [early] = [m for m in kept if m.text == "Remember: my locker code is 4711."]

    # ...and memory search finds it, though no prompt has carried that turn for a while.
    async def recall(session: AsyncSession) -> list[str]:
        scope = Scope(early.org_id, early.agent_id or "", user_id=early.user_id)
        search = MemoryItems(memory_index(compressed))
        hits = await search.search(session, scope, "What is my locker code?", limit=3)
        return [hit.item.id for hit in hits]

    assert early.id in query(url, recall)
