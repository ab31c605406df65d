"""Episodic and archival memory items: writes that keep their history, and search.

Every change — by a person, by the agent's tools, by the automatic extraction or by ingestion —
is one `memory_changes` row written in the same transaction, so any automatic write can be
seen and undone. The search index follows the items in the same transaction too.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import Conflict, InvalidInput, NotFound
from nexora.memory.scope import Owner, Scope
from nexora.storage.base import utcnow
from nexora.storage.models import MemoryBlock, MemoryChange, MemoryItem

Layer = Literal["episodic", "archival"]
Origin = Literal["person", "agent", "auto", "ingest"]
LAYERS: tuple[Layer, ...] = ("episodic", "archival")
KINDS: dict[str, frozenset[str]] = {
    "episodic": frozenset(
        {"message", "summary", "outcome", "lesson", "fact", "preference", "note"}
    ),
    "archival": frozenset({"chunk", "note"}),
}
MAX_ITEM_CHARS = 20_000
_SPACES = re.compile(r"\s+")


def content_hash(text: str) -> str:
    """The same words with different spacing or Unicode forms count as the same content."""
    normal = _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    return hashlib.sha256(normal.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewItem:
    layer: Layer
    kind: str
    text: str
    source: str | None = None
    position: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None
    session_id: str | None = None
    run_id: str | None = None

    def check(self) -> None:
        if self.layer not in KINDS:
            raise InvalidInput(f"layer must be one of {', '.join(LAYERS)}")
        if self.kind not in KINDS[self.layer]:
            raise InvalidInput(
                f"kind {self.kind!r} is not an {self.layer} kind: "
                f"use one of {', '.join(sorted(KINDS[self.layer]))}"
            )
        if not self.text.strip():
            raise InvalidInput("a memory item needs some text")
        if len(self.text) > MAX_ITEM_CHARS:
            raise InvalidInput(f"a memory item holds at most {MAX_ITEM_CHARS} characters")


@dataclass(frozen=True, slots=True)
class Hit:
    item: MemoryItem
    score: float
    lexical_rank: int | None = None
    vector_rank: int | None = None


@dataclass(frozen=True, slots=True)
class AddResult:
    item: MemoryItem
    created: bool  # False: the same content was already remembered there


class MemoryIndex(Protocol):
    """Full-text and vector search over items; kept in step by `MemoryItems`."""

    async def upsert(self, session: AsyncSession, items: Sequence[MemoryItem]) -> None: ...

    async def remove(self, session: AsyncSession, item_ids: Sequence[str]) -> None: ...

    async def search(
        self,
        session: AsyncSession,
        scope: Scope,
        query: str,
        *,
        layers: Sequence[str] | None,
        kinds: Sequence[str] | None,
        limit: int,
        since: datetime | None,
        until: datetime | None,
    ) -> list[Hit]: ...


class MemoryItems:
    def __init__(self, index: MemoryIndex | None = None) -> None:
        self.index = index

    async def add(
        self,
        session: AsyncSession,
        owner: Owner,
        items: Sequence[NewItem],
        *,
        origin: Origin,
        actor_id: str | None = None,
        run_id: str | None = None,
        reason: str | None = None,
    ) -> list[AddResult]:
        for new in items:
            new.check()
        existing = await self._existing(session, owner, items)
        results: list[AddResult] = []
        created: list[MemoryItem] = []
        for new in items:
            digest = content_hash(new.text)
            key = (new.layer, new.source, digest)
            if key in existing:
                results.append(AddResult(existing[key], created=False))
                continue
            item = MemoryItem(
                org_id=owner.org_id,
                agent_id=owner.agent_id,
                group_id=owner.group_id,
                user_id=owner.user_id,
                layer=new.layer,
                kind=new.kind,
                text=new.text,
                source=new.source,
                position=new.position,
                meta=dict(new.meta),
                content_hash=digest,
                status="active",
                origin=origin,
                created_by=actor_id,
                run_id=new.run_id or run_id,
                session_id=new.session_id,
                occurred_at=new.occurred_at or utcnow(),
                version=1,
            )
            session.add(item)
            existing[key] = item
            created.append(item)
            results.append(AddResult(item, created=True))
        await session.flush()
        for item in created:
            record_change(
                session, "item", item, "create", None, item.text, origin, actor_id, run_id, reason
            )
        if created and self.index is not None:
            await self.index.upsert(session, created)
        return results

    async def _existing(
        self, session: AsyncSession, owner: Owner, items: Sequence[NewItem]
    ) -> dict[tuple[str, str | None, str], MemoryItem]:
        hashes = {content_hash(new.text) for new in items}
        if not hashes:
            return {}
        rows = await session.scalars(
            select(MemoryItem).where(
                MemoryItem.org_id == owner.org_id,
                _same_owner(owner),
                MemoryItem.status == "active",
                MemoryItem.content_hash.in_(hashes),
            )
        )
        return {(row.layer, row.source, row.content_hash): row for row in rows}

    async def get(self, session: AsyncSession, org_id: str, item_id: str) -> MemoryItem:
        item = await session.get(MemoryItem, item_id)
        if item is None or item.org_id != org_id:
            raise NotFound("no such memory item")
        return item

    async def update(
        self,
        session: AsyncSession,
        item: MemoryItem,
        text: str,
        *,
        origin: Origin,
        actor_id: str | None = None,
        run_id: str | None = None,
        reason: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> MemoryItem:
        NewItem(item.layer, item.kind, text).check()  # type: ignore[arg-type]
        if item.status != "active":
            raise Conflict("a retired memory item must be restored before it is edited")
        before = item.text
        item.text = text
        item.content_hash = content_hash(text)
        if meta is not None:
            item.meta = {**item.meta, **meta}
        item.version += 1
        item.updated_at = utcnow()
        record_change(
            session, "item", item, "update", before, text, origin, actor_id, run_id, reason
        )
        await session.flush()
        if self.index is not None:
            await self.index.upsert(session, [item])
        return item

    async def retire(
        self,
        session: AsyncSession,
        item: MemoryItem,
        *,
        origin: Origin,
        superseded_by: str | None = None,
        actor_id: str | None = None,
        run_id: str | None = None,
        reason: str | None = None,
    ) -> MemoryItem:
        """Takes an item out of search and prompts while keeping it, e.g. a fact that a newer
        one contradicts; `restore` brings it back."""
        if item.status == "retired":
            return item
        item.status = "retired"
        item.superseded_by = superseded_by
        item.version += 1
        record_change(
            session, "item", item, "retire", item.text, None, origin, actor_id, run_id, reason
        )
        await session.flush()
        if self.index is not None:
            await self.index.remove(session, [item.id])
        return item

    async def restore(
        self,
        session: AsyncSession,
        item: MemoryItem,
        *,
        origin: Origin,
        actor_id: str | None = None,
        reason: str | None = None,
    ) -> MemoryItem:
        if item.status == "active":
            return item
        item.status = "active"
        item.superseded_by = None
        item.version += 1
        record_change(
            session, "item", item, "restore", None, item.text, origin, actor_id, None, reason
        )
        await session.flush()
        if self.index is not None:
            await self.index.upsert(session, [item])
        return item

    async def delete(
        self,
        session: AsyncSession,
        item: MemoryItem,
        *,
        origin: Origin,
        actor_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Removes the item for good; its history keeps the last text."""
        record_change(
            session,
            "item",
            item,
            "delete",
            item.text,
            None,
            origin,
            actor_id,
            None,
            reason,
            item.version + 1,
        )
        if self.index is not None:
            await self.index.remove(session, [item.id])
        await session.delete(item)
        await session.flush()

    async def history(self, session: AsyncSession, org_id: str, item_id: str) -> list[MemoryChange]:
        rows = await session.scalars(
            select(MemoryChange)
            .where(
                MemoryChange.org_id == org_id,
                MemoryChange.target == "item",
                MemoryChange.target_id == item_id,
            )
            .order_by(MemoryChange.version, MemoryChange.created_at)
        )
        return list(rows)

    async def revert(
        self, session: AsyncSession, change: MemoryChange, *, actor_id: str | None
    ) -> MemoryItem:
        """Undoes one change: an edit gets its old text back, a retirement is restored, a
        creation is retired. Deleting is for good (retire is the undoable removal)."""
        reason = f"reverts change {change.id}"
        if change.action == "delete":
            raise Conflict("a deleted item cannot be brought back; its text is in the history")
        item = await self.get(session, change.org_id, change.target_id)
        if change.action == "update":
            assert change.before is not None
            if item.status != "active":
                await self.restore(session, item, origin="person", actor_id=actor_id, reason=reason)
            return await self.update(
                session, item, change.before, origin="person", actor_id=actor_id, reason=reason
            )
        if change.action in ("create", "restore"):
            return await self.retire(
                session, item, origin="person", actor_id=actor_id, reason=reason
            )
        return await self.restore(session, item, origin="person", actor_id=actor_id, reason=reason)

    async def search(
        self,
        session: AsyncSession,
        scope: Scope,
        query: str,
        *,
        layers: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 10,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Hit]:
        if self.index is None:
            raise InvalidInput("memory search is not configured in this process")
        if not query.strip():
            raise InvalidInput("the search query is empty")
        return await self.index.search(
            session,
            scope,
            query,
            layers=layers,
            kinds=kinds,
            limit=limit,
            since=since,
            until=until,
        )


def _same_owner(owner: Owner) -> Any:
    def same(column: Any, value: str | None) -> Any:
        return column.is_(None) if value is None else column == value

    return and_(
        same(MemoryItem.agent_id, owner.agent_id),
        same(MemoryItem.group_id, owner.group_id),
        same(MemoryItem.user_id, owner.user_id),
    )


def owned_by(owner: Owner) -> Any:
    """Items written to exactly `owner`, in its org: for callers that manage what one source
    put there, such as ingestion replacing a changed document's chunks."""
    return and_(MemoryItem.org_id == owner.org_id, _same_owner(owner))


def record_change(
    session: AsyncSession,
    target: Literal["item", "block"],
    row: MemoryItem | MemoryBlock,
    action: str,
    before: str | None,
    after: str | None,
    origin: str,
    actor_id: str | None,
    run_id: str | None,
    reason: str | None = None,
    version: int | None = None,
) -> None:
    """One row of the append-only history of items and core blocks."""
    session.add(
        MemoryChange(
            org_id=row.org_id,
            target=target,
            target_id=row.id,
            agent_id=row.agent_id,
            version=version or row.version,
            action=action,
            before=before,
            after=after,
            origin=origin,
            actor_id=actor_id,
            run_id=run_id,
            reason=reason,
        )
    )
