"""Episodic and archival items as people see and change them (API and CLI): within the
agents they may use, shared items and their own, everyone's for org admins; every change
audited and kept in the item's history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import InvalidInput, NotFound
from nexora.governance.audit import RequestContext
from nexora.governance.usage_report import as_utc
from nexora.memory.gate import Gate
from nexora.memory.items import AddResult, MemoryItems, NewItem
from nexora.memory.recall import Recalled, recall
from nexora.memory.scope import Owner, Scope
from nexora.memory.service import Memory
from nexora.storage.models import MemoryChange, MemoryItem

_RESOURCE = "memory_item"


@dataclass(frozen=True, slots=True)
class ItemFilter:
    layer: str | None = None
    kind: str | None = None
    status: str | None = "active"  # None: active and retired
    user_id: str | None = None  # admins: one user's private items
    origin: str | None = None
    source: str | None = None
    since: datetime | None = None  # occurred at or after
    until: datetime | None = None  # occurred before
    text: str | None = None  # contains, ignoring case
    offset: int = 0
    limit: int = 50


@dataclass
class ItemAccess:
    memory: Memory
    gate: Gate

    @property
    def items(self) -> MemoryItems:
        return self.memory.items

    async def page(
        self, db: AsyncSession, actor: Actor, agent_id: str, which: ItemFilter
    ) -> tuple[list[MemoryItem], int]:
        """Newest first, with the total the filter matches."""
        agent = await self.gate.agent(db, actor, agent_id)
        since, until = as_utc(which.since), as_utc(which.until)
        if since is not None and until is not None and since >= until:
            raise InvalidInput("since: must be earlier than until")
        where: list[Any] = [
            MemoryItem.org_id == actor.org_id,
            MemoryItem.agent_id == agent.record.id,
        ]
        if (owners := self.gate.visible_owners(actor, MemoryItem.user_id)) is not None:
            where.append(owners)
        for column, value in (
            (MemoryItem.layer, which.layer),
            (MemoryItem.kind, which.kind),
            (MemoryItem.status, which.status),
            (MemoryItem.user_id, which.user_id),
            (MemoryItem.origin, which.origin),
            (MemoryItem.source, which.source),
        ):
            if value is not None:
                where.append(column == value)
        if since is not None:
            where.append(MemoryItem.occurred_at >= since)
        if until is not None:
            where.append(MemoryItem.occurred_at < until)
        if which.text:
            where.append(MemoryItem.text.icontains(which.text, autoescape=True))
        total = await db.scalar(select(func.count()).select_from(MemoryItem).where(*where))
        rows = await db.scalars(
            select(MemoryItem)
            .where(*where)
            .order_by(MemoryItem.occurred_at.desc(), MemoryItem.id)
            .offset(which.offset)
            .limit(which.limit)
        )
        return list(rows), int(total or 0)

    async def get(self, db: AsyncSession, actor: Actor, item_id: str) -> MemoryItem:
        item = await self.items.get(db, actor.org_id, item_id)
        if item.agent_id is None or not self.gate.sees(actor, item.user_id):
            raise NotFound("no such memory item")
        await self.gate.agent(db, actor, item.agent_id)
        return item

    async def add(
        self,
        db: AsyncSession,
        actor: Actor,
        agent_id: str,
        new: NewItem,
        *,
        private: bool = False,
        request: RequestContext | None = None,
    ) -> AddResult:
        """Remembers one item for the agent's users, or for the actor alone (`private`)."""
        agent = await self.gate.agent(db, actor, agent_id)
        owner = Owner(
            actor.org_id, agent_id=agent.record.id, user_id=actor.user_id if private else None
        )
        (result,) = await self.items.add(db, owner, [new], origin="person", actor_id=actor.user_id)
        await db.commit()
        if result.created:
            self._record(actor, "create", result.item, request, layer=new.layer, kind=new.kind)
        return result

    async def edit(
        self,
        db: AsyncSession,
        actor: Actor,
        item_id: str,
        text: str,
        request: RequestContext | None = None,
    ) -> MemoryItem:
        item = await self.get(db, actor, item_id)
        await self.items.update(db, item, text, origin="person", actor_id=actor.user_id)
        await db.commit()
        self._record(actor, "update", item, request)
        return item

    async def retire(
        self,
        db: AsyncSession,
        actor: Actor,
        item_id: str,
        reason: str | None = None,
        request: RequestContext | None = None,
    ) -> MemoryItem:
        item = await self.get(db, actor, item_id)
        await self.items.retire(db, item, origin="person", actor_id=actor.user_id, reason=reason)
        await db.commit()
        self._record(actor, "retire", item, request)
        return item

    async def restore(
        self, db: AsyncSession, actor: Actor, item_id: str, request: RequestContext | None = None
    ) -> MemoryItem:
        item = await self.get(db, actor, item_id)
        await self.items.restore(db, item, origin="person", actor_id=actor.user_id)
        await db.commit()
        self._record(actor, "restore", item, request)
        return item

    async def delete(
        self, db: AsyncSession, actor: Actor, item_id: str, request: RequestContext | None = None
    ) -> None:
        item = await self.get(db, actor, item_id)
        self._record(actor, "delete", item, request)
        await self.items.delete(db, item, origin="person", actor_id=actor.user_id)
        await db.commit()

    async def history(self, db: AsyncSession, actor: Actor, item_id: str) -> list[MemoryChange]:
        item = await self.get(db, actor, item_id)
        return await self.items.history(db, actor.org_id, item.id)

    async def search(
        self,
        db: AsyncSession,
        actor: Actor,
        agent_id: str,
        query: str,
        *,
        layers: Sequence[str] | None = None,
        limit: int = 10,
    ) -> list[Recalled]:
        """What the agent would recall for the actor: shared memory and the actor's own."""
        agent = await self.gate.agent(db, actor, agent_id)
        scope = Scope(actor.org_id, agent.record.id, actor.user_id)
        return await recall(self.memory, db, scope, query, layers=layers, limit=limit)

    def _record(
        self,
        actor: Actor,
        action: str,
        item: MemoryItem,
        request: RequestContext | None,
        **detail: Any,
    ) -> None:
        self.gate.record(
            actor,
            f"memory.item.{action}",
            _RESOURCE,
            item.id,
            request,
            agent_id=item.agent_id,
            private=item.user_id is not None,
            version=item.version,
            **detail,
        )
