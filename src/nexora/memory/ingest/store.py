"""One document's chunks into archival memory, through `MemoryItems.add` (which dedups by
content within the owner and source, and keeps the search index in step).

A document is a unit: ingesting it again unchanged writes nothing; ingesting a changed version
adds its new chunks and retires the ones no longer in it, so stale text stops being found
(retired items keep their history and can be restored)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.memory.ingest.chunker import Chunk
from nexora.memory.ingest.document import Document
from nexora.memory.items import MemoryItems, NewItem, content_hash, owned_by
from nexora.memory.scope import Owner
from nexora.storage.db import Database
from nexora.storage.models import MemoryItem

BATCH = 64  # chunks per transaction: progress shows, and one failure loses little


@dataclass(frozen=True, slots=True)
class Stored:
    added: int
    duplicates: int
    retired: int
    unchanged: bool  # the same document was already there: nothing written


BatchDone = Callable[[int, int], Awaitable[None]]  # (added, duplicates) of one batch


async def store_document(
    db: Database,
    items: MemoryItems,
    owner: Owner,
    document: Document,
    chunks: Sequence[Chunk],
    *,
    actor_id: str | None,
    on_batch: BatchDone | None = None,
) -> Stored:
    doc_hash = document.content_hash
    async with db.session() as session:
        current = await _active_items(session, owner, document.source)
    wanted = {content_hash(c.text) for c in chunks}
    same_version = all(i.meta.get("doc_hash") == doc_hash for i in current)
    if current and same_version and {i.content_hash for i in current} == wanted:
        if on_batch is not None:
            await on_batch(0, len(chunks))
        return Stored(0, len(chunks), 0, unchanged=True)
    added = duplicates = 0
    kept: set[str] = set()
    for start in range(0, len(chunks), BATCH):
        batch = [_new_item(document, chunk, doc_hash) for chunk in chunks[start : start + BATCH]]
        async with db.session() as session:
            results = await items.add(session, owner, batch, origin="ingest", actor_id=actor_id)
            await session.commit()
        made = sum(r.created for r in results)
        added += made
        duplicates += len(results) - made
        kept.update(r.item.id for r in results)
        if on_batch is not None:
            await on_batch(made, len(results) - made)
    retired = await _retire_stale(db, items, owner, document.source, kept, actor_id)
    return Stored(added, duplicates, retired, unchanged=False)


def _new_item(document: Document, chunk: Chunk, doc_hash: str) -> NewItem:
    meta = {**chunk.meta, "title": document.title, "media": document.media, "doc_hash": doc_hash}
    return NewItem(
        layer="archival",
        kind="chunk",
        text=chunk.text,
        source=document.source,
        position=chunk.position,
        meta=meta,
    )


async def _active_items(session: AsyncSession, owner: Owner, source: str) -> list[MemoryItem]:
    rows = await session.scalars(
        select(MemoryItem).where(
            owned_by(owner),
            MemoryItem.layer == "archival",
            MemoryItem.source == source,
            MemoryItem.status == "active",
        )
    )
    return list(rows)


async def _retire_stale(
    db: Database,
    items: MemoryItems,
    owner: Owner,
    source: str,
    kept: set[str],
    actor_id: str | None,
) -> int:
    """Retires what an earlier version of the document left that this one no longer says."""
    async with db.session() as session:
        stale = [i for i in await _active_items(session, owner, source) if i.id not in kept]
        for item in stale:
            await items.retire(
                session,
                item,
                origin="ingest",
                actor_id=actor_id,
                reason="no longer in the document after it was ingested again",
            )
        await session.commit()
    return len(stale)
