"""Core blocks as people see and change them (API and CLI): the agent's shared blocks and
their own, everyone's for org admins; every change audited and kept in the block's history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, NotFound
from nexora.governance.audit import RequestContext
from nexora.memory.blocks import CoreBlocks, check_label
from nexora.memory.gate import Gate
from nexora.storage.models import MemoryBlock, MemoryChange

_RESOURCE = "memory_block"


@dataclass
class BlockAccess:
    blocks: CoreBlocks
    gate: Gate

    async def of_agent(
        self, db: AsyncSession, actor: Actor, agent_id: str, *, user_id: str | None = None
    ) -> list[MemoryBlock]:
        """The agent's blocks the actor may see; admins may narrow them to one user's."""
        agent = await self.gate.agent(db, actor, agent_id)
        query = select(MemoryBlock).where(
            MemoryBlock.org_id == actor.org_id, MemoryBlock.agent_id == agent.record.id
        )
        if (owners := self.gate.visible_owners(actor, MemoryBlock.user_id)) is not None:
            query = query.where(owners)
        if user_id is not None:
            query = query.where(MemoryBlock.user_id == user_id)
        rows = await db.scalars(query.order_by(MemoryBlock.label, MemoryBlock.user_id))
        return list(rows)

    async def get(self, db: AsyncSession, actor: Actor, block_id: str) -> MemoryBlock:
        block = await self.blocks.get(db, actor.org_id, block_id)
        if not self.gate.sees(actor, block.user_id):
            raise NotFound("no such memory block")
        await self.gate.agent(db, actor, block.agent_id)
        return block

    async def create(
        self,
        db: AsyncSession,
        actor: Actor,
        agent_id: str,
        label: str,
        *,
        value: str = "",
        description: str | None = None,
        char_limit: int | None = None,
        private: bool = False,
        request: RequestContext | None = None,
    ) -> MemoryBlock:
        agent = await self.gate.agent(db, actor, agent_id)
        user_id = actor.user_id if private else None
        taken = await db.scalar(
            select(MemoryBlock.id).where(
                MemoryBlock.agent_id == agent.record.id,
                MemoryBlock.label == check_label(label),
                MemoryBlock.user_id.is_(None)
                if user_id is None
                else MemoryBlock.user_id == user_id,
            )
        )
        if taken is not None:
            raise Conflict(f"the agent already has a {label!r} block there: edit it instead")
        block = await self.blocks.create(
            db,
            actor.org_id,
            agent.record.id,
            label,
            user_id=user_id,
            value=value,
            description=description,
            char_limit=char_limit or agent.config.memory.core_block_chars,
            origin="person",
            actor_id=actor.user_id,
        )
        await db.commit()
        self._record(actor, "create", block, request)
        return block

    async def edit(
        self,
        db: AsyncSession,
        actor: Actor,
        block_id: str,
        *,
        value: str | None = None,
        description: str | None = None,
        request: RequestContext | None = None,
    ) -> MemoryBlock:
        block = await self.get(db, actor, block_id)
        if description is not None:
            block.description = description
        if value is not None:
            await self.blocks.set(db, block, value, origin="person", actor_id=actor.user_id)
        await db.commit()
        self._record(actor, "update", block, request)
        return block

    async def put(
        self,
        db: AsyncSession,
        actor: Actor,
        agent_id: str,
        label: str,
        value: str,
        *,
        private: bool = False,
        request: RequestContext | None = None,
    ) -> MemoryBlock:
        """Sets the block the actor knows by `label` (theirs before the shared one), creating
        it when there is none."""
        agent = await self.gate.agent(db, actor, agent_id)
        current = await self.blocks.find(db, actor.org_id, agent.record.id, actor.user_id, label)
        if current is None or (private and current.user_id is None):
            return await self.create(
                db, actor, agent_id, label, value=value, private=private, request=request
            )
        return await self.edit(db, actor, current.id, value=value, request=request)

    async def delete(
        self, db: AsyncSession, actor: Actor, block_id: str, request: RequestContext | None = None
    ) -> None:
        block = await self.get(db, actor, block_id)
        self._record(actor, "delete", block, request)
        await self.blocks.delete(db, block, origin="person", actor_id=actor.user_id)
        await db.commit()

    async def history(
        self, db: AsyncSession, actor: Actor, block_id: str
    ) -> Sequence[MemoryChange]:
        block = await self.get(db, actor, block_id)
        return await self.blocks.history(db, actor.org_id, block.id)

    def _record(
        self,
        actor: Actor,
        action: str,
        block: MemoryBlock,
        request: RequestContext | None,
        **detail: Any,
    ) -> None:
        self.gate.record(
            actor,
            f"memory.block.{action}",
            _RESOURCE,
            block.id,
            request,
            agent_id=block.agent_id,
            label=block.label,
            private=block.user_id is not None,
            version=block.version,
            **detail,
        )
