"""Memory items and core blocks keep every change and can undo it (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from nexora.errors import Conflict, InvalidInput
from nexora.memory.blocks import CoreBlocks, MemoryLimitError
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.scope import Owner, Scope
from nexora.storage.models import MemoryItem
from tests.unit.memory.conftest import World


async def test_same_content_is_remembered_once_per_owner(world: World) -> None:
    items = MemoryItems()
    owner = Owner(world.org_id, agent_id=world.agent_id)
    fact = NewItem("episodic", "fact", "The  deploy window is Friday.")
    async with world.db.session() as session:
        first = await items.add(session, owner, [fact], origin="agent")
        again = await items.add(
            session,
            owner,
            [NewItem("episodic", "fact", "The deploy window is Friday. ")],
            origin="agent",
        )
        elsewhere = await items.add(
            session, Owner(world.org_id, agent_id=world.other_agent_id), [fact], origin="agent"
        )
        await session.commit()
    assert first[0].created and not again[0].created
    assert again[0].item.id == first[0].item.id
    assert elsewhere[0].created


async def test_edits_retirements_and_reverts_keep_history(world: World) -> None:
    items = MemoryItems()
    owner = Owner(world.org_id, agent_id=world.agent_id, user_id=world.user_id)
    async with world.db.session() as session:
        [added] = await items.add(
            session, owner, [NewItem("episodic", "preference", "Ann prefers tea")], origin="auto"
        )
        item = added.item
        await items.update(session, item, "Ann prefers coffee", origin="auto", reason="said so")
        await items.retire(session, item, origin="person", actor_id=world.user_id)
        history = await items.history(session, world.org_id, item.id)
        assert [c.action for c in history] == ["create", "update", "retire"]
        assert (history[1].before, history[1].after) == ("Ann prefers tea", "Ann prefers coffee")
        with pytest.raises(Conflict):
            await items.update(session, item, "x", origin="person")
        await items.revert(session, history[2], actor_id=world.user_id)  # un-retire
        await items.revert(session, history[1], actor_id=world.user_id)  # back to tea
        await session.commit()
        assert item.status == "active" and item.text == "Ann prefers tea"
        assert item.version == 5


async def test_scope_sees_shared_own_and_team_items_only(world: World) -> None:
    items = MemoryItems()
    note = NewItem("episodic", "note", "release notes")
    async with world.db.session() as session:
        for owner in (
            Owner(world.org_id, agent_id=world.agent_id),
            Owner(world.org_id, agent_id=world.agent_id, user_id=world.user_id),
            Owner(world.org_id, agent_id=world.agent_id, user_id=world.other_user_id),
            Owner(world.org_id, agent_id=world.other_agent_id),
            Owner(world.org_id, group_id="team-1"),
            Owner(world.other_org_id, agent_id=world.other_org_agent_id),
        ):
            await items.add(session, owner, [note], origin="person")
        await session.commit()
        scope = Scope(world.org_id, world.agent_id, user_id=world.user_id, group_ids=("team-1",))
        seen = list(await session.scalars(select(MemoryItem).where(scope.visible())))
    assert {(i.agent_id, i.user_id, i.group_id) for i in seen} == {
        (world.agent_id, None, None),
        (world.agent_id, world.user_id, None),
        (None, None, "team-1"),
    }


async def test_core_blocks_are_limited_and_per_user(world: World) -> None:
    blocks = CoreBlocks(default_char_limit=40)
    async with world.db.session() as session:
        human = await blocks.ensure(
            session, world.org_id, world.agent_id, world.user_id, "human", origin="agent"
        )
        persona = await blocks.ensure(
            session, world.org_id, world.agent_id, world.user_id, "persona", origin="agent"
        )
        await blocks.append(session, human, "Name: Ann", origin="agent")
        await blocks.append(session, human, "Likes tea", origin="agent")
        await blocks.replace(session, human, "Likes tea", "Likes coffee", origin="agent")
        with pytest.raises(MemoryLimitError):
            await blocks.append(session, human, "x" * 40, origin="agent")
        with pytest.raises(InvalidInput):
            await blocks.replace(session, human, "absent", "y", origin="agent")
        await session.commit()
        assert human.user_id == world.user_id and persona.user_id is None
        assert human.value == "Name: Ann\nLikes coffee"
        bobs = await blocks.list(session, world.org_id, world.agent_id, world.other_user_id)
        assert [b.label for b in bobs] == ["persona"]
        history = await blocks.history(session, world.org_id, human.id)
        assert [c.action for c in history] == ["create", "update", "update", "update"]
