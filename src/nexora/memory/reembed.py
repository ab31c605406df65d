"""Bring the index up to date with the embedder in force: `nexora memory reembed`.

Active items without a vector of the current embedder (after the embedder changed, or written
while it was down) are embedded in batches, each batch committed on its own: stopping loses at
most one batch, and running again continues where it stopped. Items without full-text terms
(written before the index existed) get them on the way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.index.tables import vectors
from nexora.storage.db import Database
from nexora.storage.models import MemoryItem

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True, slots=True)
class ReembedResult:
    embedder: str | None
    embedded: int
    terms_added: int


def _missing_vector(embedder: str) -> ColumnElement[bool]:
    return ~exists().where(and_(vectors.c.item_id == MemoryItem.id, vectors.c.embedder == embedder))


async def missing_vectors(session: AsyncSession, embedder: str) -> int:
    """Active items the embedder in force has not embedded yet."""
    count = await session.scalar(
        select(func.count())
        .select_from(MemoryItem)
        .where(MemoryItem.status == "active", _missing_vector(embedder))
    )
    return int(count or 0)


async def reembed(
    db: Database, index: HybridIndex, *, batch_size: int, progress: Progress | None = None
) -> ReembedResult:
    terms_added = await _add_missing_terms(db, index, batch_size)
    if index.embedder is None:
        return ReembedResult(None, 0, terms_added)
    name = index.embedder.name
    async with db.session() as session:
        total = await missing_vectors(session, name)
    done = 0
    if progress:
        progress(done, total)
    while True:
        async with db.session() as session:
            batch = list(
                await session.scalars(
                    select(MemoryItem)
                    .where(MemoryItem.status == "active", _missing_vector(name))
                    .order_by(MemoryItem.id)
                    .limit(batch_size)
                )
            )
            if not batch:
                break
            await index.embed(session, batch)
            await session.commit()
        done += len(batch)
        if progress:
            progress(done, max(total, done))
    return ReembedResult(name, done, terms_added)


async def _add_missing_terms(db: Database, index: HybridIndex, batch_size: int) -> int:
    added = 0
    while True:
        async with db.session() as session:
            storage = await index.storage(session)
            batch = list(
                await session.scalars(
                    select(MemoryItem)
                    .where(MemoryItem.status == "active", ~storage.fulltext.indexed())
                    .order_by(MemoryItem.id)
                    .limit(batch_size)
                )
            )
            if not batch:
                return added
            await index.index_terms(session, batch)
            await session.commit()
        added += len(batch)
