"""Which agents the scheduled consolidation visits: those with something new to tidy."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from nexora.memory.consolidate import due_agents
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.scope import Owner
from nexora.storage.base import utcnow
from nexora.storage.models import MemoryItem, MemoryJob
from tests.unit.memory.conftest import World

TWO_WEEKS = timedelta(days=14)


async def test_agents_with_changes_or_newly_old_messages_are_due(world: World) -> None:
    now = utcnow()
    async with world.db.session() as session:
        assert await due_agents(session, TWO_WEEKS) == []
        owner = Owner(world.org_id, agent_id=world.agent_id, user_id=world.user_id)
        items = [
            NewItem("episodic", "fact", "Ann likes tea."),
            NewItem("episodic", "message", "hello", occurred_at=now - timedelta(days=20)),
        ]
        await MemoryItems().add(session, owner, items, origin="auto")
        await session.commit()
        # Never consolidated: due.
        assert await due_agents(session, TWO_WEEKS) == [(world.org_id, world.agent_id)]

        # Consolidated two days ago, nothing changed since, the old message was old then.
        await session.execute(update(MemoryItem).values(updated_at=now - timedelta(days=3)))
        session.add(
            MemoryJob(
                org_id=world.org_id,
                agent_id=world.agent_id,
                kind="consolidate",
                status="completed",
                created_at=now - timedelta(days=2),
            )
        )
        await session.commit()
        assert await due_agents(session, TWO_WEEKS) == []

        # A message that was 13 days old at the last pass has grown old since.
        await MemoryItems().add(
            session,
            owner,
            [NewItem("episodic", "message", "bye", occurred_at=now - timedelta(days=15))],
            origin="auto",
        )
        await session.execute(update(MemoryItem).values(updated_at=now - timedelta(days=3)))
        await session.commit()
        assert await due_agents(session, TWO_WEEKS) == [(world.org_id, world.agent_id)]

        # So is any change after the last pass; another org's agent stays out of it.
        other = Owner(world.other_org_id, agent_id=world.other_org_agent_id)
        await MemoryItems().add(
            session, other, [NewItem("episodic", "note", "globex")], origin="person"
        )
        await session.commit()
        assert sorted(await due_agents(session, TWO_WEEKS)) == sorted(
            [(world.org_id, world.agent_id), (world.other_org_id, world.other_org_agent_id)]
        )
