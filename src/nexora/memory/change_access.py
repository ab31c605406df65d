"""The feed of memory changes per agent, and undoing one: how people see what the agent and
the automatic extraction wrote, and take back what they disagree with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, InvalidInput, NotFound
from nexora.governance.audit import RequestContext
from nexora.governance.usage_report import as_utc
from nexora.memory.gate import Gate
from nexora.memory.service import Memory
from nexora.storage.models import MemoryBlock, MemoryChange, MemoryItem


@dataclass(frozen=True, slots=True)
class ChangeFilter:
    origin: str | tuple[str, ...] | None = None  # person | agent | auto | ingest, or several
    target: str | None = None  # item | block
    run_id: str | None = None
    since: datetime | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class Reverted:
    """Where the undone change left its target."""

    target: str
    target_id: str
    version: int
    value: str | None  # None: the target is gone or retired
    status: str  # active | retired | deleted


@dataclass
class ChangeAccess:
    memory: Memory
    gate: Gate

    async def feed(
        self, db: AsyncSession, actor: Actor, agent_id: str, which: ChangeFilter
    ) -> tuple[list[MemoryChange], int]:
        """The agent's changes the actor may see, newest first, with the total matched."""
        agent = await self.gate.agent(db, actor, agent_id)
        where: list[Any] = [
            MemoryChange.org_id == actor.org_id,
            MemoryChange.agent_id == agent.record.id,
        ]
        if isinstance(which.origin, tuple):
            where.append(MemoryChange.origin.in_(which.origin))
        for column, value in (
            (MemoryChange.origin, which.origin if isinstance(which.origin, str) else None),
            (MemoryChange.target, which.target),
            (MemoryChange.run_id, which.run_id),
        ):
            if value is not None:
                where.append(column == value)
        if (since := as_utc(which.since)) is not None:
            where.append(MemoryChange.created_at >= since)
        query = self._visible(select(MemoryChange), actor).where(*where)
        total = await db.scalar(select(func.count()).select_from(query.subquery()))
        rows = await db.scalars(
            query.order_by(MemoryChange.created_at.desc(), MemoryChange.version.desc())
            .offset(which.offset)
            .limit(which.limit)
        )
        return list(rows), int(total or 0)

    async def get(self, db: AsyncSession, actor: Actor, change_id: str) -> MemoryChange:
        query = self._visible(select(MemoryChange), actor).where(
            MemoryChange.id == change_id, MemoryChange.org_id == actor.org_id
        )
        change: MemoryChange | None = await db.scalar(query)
        if change is None or change.agent_id is None:
            raise NotFound("no such memory change")
        await self.gate.agent(db, actor, change.agent_id)
        return change

    async def revert(
        self,
        db: AsyncSession,
        actor: Actor,
        change_id: str,
        request: RequestContext | None = None,
    ) -> Reverted:
        change = await self.get(db, actor, change_id)
        if change.target == "item":
            item = await self.memory.items.revert(db, change, actor_id=actor.user_id)
            done = Reverted("item", item.id, item.version, item.text, item.status)
        else:
            done = await self._revert_block(db, actor, change)
        await db.commit()
        self.gate.record(
            actor,
            "memory.revert",
            f"memory_{change.target}",
            change.target_id,
            request,
            agent_id=change.agent_id,
            change_id=change.id,
            undone=change.action,
            origin=change.origin,
            run_id=change.run_id,
        )
        return done

    async def _revert_block(self, db: AsyncSession, actor: Actor, change: MemoryChange) -> Reverted:
        """An edit gets the old text back and a creation is removed; a deleted block stays
        deleted (its text is in the history, to be set again on purpose)."""
        if change.action == "delete":
            raise Conflict("a deleted block cannot be brought back; its text is in the history")
        block = await db.get(MemoryBlock, change.target_id)
        if block is None:
            raise Conflict("the block was deleted since; its text is in the history")
        blocks = self.memory.blocks
        if change.action == "create":
            await blocks.delete(db, block, origin="person", actor_id=actor.user_id)
            return Reverted("block", change.target_id, block.version, None, "deleted")
        if change.action != "update" or change.before is None:
            raise InvalidInput(f"a block's {change.action!r} change cannot be undone")
        await blocks.set(
            db,
            block,
            change.before,
            origin="person",
            actor_id=actor.user_id,
            reason=f"reverts change {change.id}",
        )
        return Reverted("block", block.id, block.version, block.value, "active")

    @staticmethod
    def _visible(query: Any, actor: Actor) -> Any:
        """Changes to shared memory, to the actor's own and those the actor made; admins see
        all. A change to something since deleted is seen by admins and its author."""
        if actor.is_admin:
            return query
        item_seen = and_(
            MemoryChange.target == "item",
            MemoryItem.id.is_not(None),
            or_(MemoryItem.user_id.is_(None), MemoryItem.user_id == actor.user_id),
        )
        block_seen = and_(
            MemoryChange.target == "block",
            MemoryBlock.id.is_not(None),
            or_(MemoryBlock.user_id.is_(None), MemoryBlock.user_id == actor.user_id),
        )
        return (
            query.outerjoin(MemoryItem, MemoryItem.id == MemoryChange.target_id)
            .outerjoin(MemoryBlock, MemoryBlock.id == MemoryChange.target_id)
            .where(or_(MemoryChange.actor_id == actor.user_id, item_seen, block_seen))
        )
