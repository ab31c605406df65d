"""`nexora memory consolidate`: duplicates merged into the newest, old episodes summarised."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from nexora.cli.main import app
from nexora.config import Settings
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.scope import Owner
from nexora.storage.base import utcnow
from nexora.storage.models import AgentRecord, MemoryItem, MemoryJob, User
from tests.fakes.openai_server import FakeOpenAIServer, Reply, mentions
from tests.support.db import query

runner = CliRunner()
SUMMARY = "Ann planned a trip to Porto in May and booked the train."


@pytest.fixture
def local(settings: Settings, monkeypatch: pytest.MonkeyPatch, llm: FakeOpenAIServer) -> str:
    for name, value in {
        "NEXORA_HOME": str(settings.home),
        "NEXORA_DB_URL": settings.database_url,
        "NEXORA_ADMIN_PASSWORD": "password-123",
        "NEXORA_DEFAULT_MODEL": "openai:fake-model",
        "OPENAI_BASE_URL": llm.base_url,
        "OPENAI_API_KEY": "sk-test",
        "NEXORA_DETECT_LOCAL_MODELS": "false",
        "NEXORA_MEMORY_SUMMARIZE_AFTER_DAYS": "7",
        "NEXORA_PORT": "1",
    }.items():
        monkeypatch.setenv(name, value)
    assert runner.invoke(app, ["agents", "create", "friend"]).exit_code == 0
    return settings.database_url


def _seed(url: str) -> dict[str, Any]:
    async def work(session: AsyncSession) -> dict[str, Any]:
        agent = await session.scalar(select(AgentRecord).where(AgentRecord.name == "friend"))
        ann = await session.scalar(select(User).where(User.username == "admin"))
        assert agent is not None and ann is not None
        mine = Owner(agent.org_id, agent_id=agent.id, user_id=ann.id)
        shared = Owner(agent.org_id, agent_id=agent.id)
        items, now, chat = MemoryItems(), utcnow(), str(uuid.uuid4())

        async def add(owner: Owner, kind: str, text: str, days: float, **more: Any) -> str:
            new = NewItem("episodic", kind, text, occurred_at=now - timedelta(days=days), **more)
            [result] = await items.add(session, owner, [new], origin="auto")
            return result.item.id

        ids = {
            "old_tea": await add(mine, "fact", "Ann likes green tea.", 3),
            "new_tea": await add(mine, "fact", "ann likes  GREEN tea", 1),
            "shared_tea": await add(shared, "fact", "Ann likes green tea.", 2),
            "dog": await add(mine, "fact", "Ann has a dog called Rex.", 2),
            "cat": await add(mine, "fact", "Ann has a cat called Rex.", 1),
            "colour": await add(mine, "preference", "Ann's favourite colour is blue.", 2),
            "color": await add(mine, "preference", "Ann's favorite color is blue.", 1),
            "old": [
                await add(mine, "message", text, 30 - i / 10, session_id=chat, meta={"role": r})
                for i, (r, text) in enumerate(
                    [
                        ("user", "I want to go to Porto in May."),
                        ("assistant", "Porto in May is lovely. Train or plane?"),
                        ("user", "Train, please book it."),
                        ("assistant", "Booked the train to Porto for May 3rd."),
                    ]
                )
            ],
            "recent": [
                await add(mine, "message", "How is the weather?", 1, session_id=chat),
                await add(mine, "message", "Sunny.", 0.9, session_id=chat),
            ],
            "chat": chat,
        }
        await session.commit()
        return ids

    return query(url, work)


def _by_id(url: str) -> dict[str, MemoryItem]:
    async def work(session: AsyncSession) -> dict[str, MemoryItem]:
        return {item.id: item for item in await session.scalars(select(MemoryItem))}

    return query(url, work)


def test_consolidation_merges_duplicates_and_summarises_old_episodes(
    local: str, llm: FakeOpenAIServer
) -> None:
    llm.answer_when(mentions("Summarise the conversation excerpt"), lambda _: Reply(text=SUMMARY))
    ids = _seed(local)

    result = runner.invoke(app, ["memory", "consolidate", "--agent", "friend"])
    assert result.exit_code == 0, result.output
    items = _by_id(local)

    # The newest of two same memories stays; another owner's copy is not touched.
    assert items[ids["old_tea"]].status == "retired"
    assert items[ids["old_tea"]].superseded_by == ids["new_tea"]
    assert items[ids["new_tea"]].status == "active"
    assert items[ids["shared_tea"]].status == "active"
    # Vectors merge a respelling, not a different fact worded alike.
    assert items[ids["colour"]].status == "retired"
    assert items[ids["colour"]].superseded_by == ids["color"]
    assert {items[ids[k]].status for k in ("color", "dog", "cat")} == {"active"}

    # The month-old messages became one summary; yesterday's stay as they are.
    [summary] = [i for i in items.values() if i.kind == "summary"]
    assert summary.text == SUMMARY and summary.session_id == ids["chat"]
    assert summary.meta["summarizes"] == ids["old"] and summary.origin == "auto"
    assert summary.user_id == items[ids["old"][0]].user_id
    assert {items[i].status for i in ids["old"]} == {"retired"}
    assert {items[i].superseded_by for i in ids["old"]} == {summary.id}
    assert {items[i].status for i in ids["recent"]} == {"active"}
    excerpt = next(r for r in llm.chat_requests if "Porto in May is lovely" in str(r.json))
    assert "How is the weather" not in str(excerpt.json)

    async def job(session: AsyncSession) -> MemoryJob | None:
        found: MemoryJob | None = await session.scalar(
            select(MemoryJob).where(MemoryJob.kind == "consolidate")
        )
        return found

    recorded = query(local, job)
    assert recorded is not None and recorded.status == "completed"
    assert (recorded.duplicates, recorded.added, recorded.meta["summarised"]) == (2, 1, 4)

    # A summarised message can be brought back by people.
    async def restore(session: AsyncSession) -> str:
        items = MemoryItems()
        item = await items.get(session, summary.org_id, ids["old"][0])
        await items.restore(session, item, origin="person", reason="keep the original")
        await session.commit()
        history = await items.history(session, item.org_id, item.id)
        return " / ".join(f"{c.action}:{c.reason}" for c in history)

    assert query(local, restore) == (
        f"create:None / retire:consolidation: summarised into {summary.id} / "
        "restore:keep the original"
    )

    # A second pass finds nothing more to do.
    again = runner.invoke(app, ["memory", "consolidate"])
    assert again.exit_code == 0, again.output
    assert [i.id for i in _by_id(local).values() if i.kind == "summary"] == [summary.id]
