"""Vectors as float32 BLOBs (SQLite) or BYTEA (PostgreSQL without pgvector), searched exactly
with NumPy over each org's vectors kept in memory.

The in-memory copy follows the database, whoever wrote to it: each search reads the org's
generation; rows written since are loaded and applied, and after a removal the org is loaded
again from scratch (removed rows leave no trace to apply)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.memory.index import state
from nexora.memory.index.filters import Filters
from nexora.memory.index.matrix import Floats, OrgMatrix, Row
from nexora.memory.index.tables import vectors
from nexora.storage.models import MemoryItem

_UPSERT = text(
    "INSERT INTO memory_vectors (item_id, org_id, embedder, dims, generation, vector)"
    " VALUES (:item_id, :org_id, :embedder, :dims, :generation, :vector)"
    " ON CONFLICT (item_id) DO UPDATE SET org_id = excluded.org_id,"
    " embedder = excluded.embedder, dims = excluded.dims,"
    " generation = excluded.generation, vector = excluded.vector"
)


class NumpyVectors:
    """One per database; its cache holds one matrix per (org, embedder)."""

    def __init__(self) -> None:
        self._matrices: dict[tuple[str, str], OrgMatrix] = {}
        self._lock = asyncio.Lock()

    async def write(
        self,
        session: AsyncSession,
        items: Sequence[MemoryItem],
        embedder: str,
        matrix: Floats,
    ) -> None:
        generations = {org_id: await state.bump(session, org_id) for org_id in _orgs(items)}
        await session.execute(
            _UPSERT,
            [
                {
                    "item_id": item.id,
                    "org_id": item.org_id,
                    "embedder": embedder,
                    "dims": int(matrix.shape[1]),
                    "generation": generations[item.org_id],
                    "vector": np.ascontiguousarray(row, dtype=np.float32).tobytes(),
                }
                for item, row in zip(items, matrix, strict=True)
            ],
        )

    async def delete(self, session: AsyncSession, item_ids: Sequence[str]) -> None:
        removed = await session.execute(
            delete(vectors).where(vectors.c.item_id.in_(item_ids)).returning(vectors.c.org_id)
        )
        for org_id in set(removed.scalars()):
            await state.bump(session, org_id, removal=True)

    async def nearest(
        self,
        session: AsyncSession,
        embedder: str,
        query: Floats,
        filters: Filters,
        limit: int,
    ) -> list[str]:
        matrix = await self._fresh(session, filters.scope.org_id, embedder, query.shape[0])
        return matrix.nearest(query, filters, limit)

    async def _fresh(
        self, session: AsyncSession, org_id: str, embedder: str, dims: int
    ) -> OrgMatrix:
        # One loader at a time: two searches after a write must not both load 100k rows.
        async with self._lock:
            now = await state.current(session, org_id)
            key = (org_id, embedder)
            matrix = self._matrices.get(key)
            if matrix is not None and (matrix.generation, matrix.removals) == (
                now.generation,
                now.removals,
            ):
                return matrix
            since = None
            if matrix is None or matrix.removals != now.removals or matrix.dims != dims:
                # The centroids stay good across removals: the reload only regroups the rows.
                reuse = matrix.centroids() if matrix is not None and matrix.dims == dims else None
                matrix = OrgMatrix(dims, reuse=reuse)
            else:
                since = matrix.generation
            matrix.apply(await _rows(session, org_id, embedder, since, now.generation))
            matrix.generation, matrix.removals = now.generation, now.removals
            self._matrices[key] = matrix
            return matrix


async def _rows(
    session: AsyncSession, org_id: str, embedder: str, since: int | None, upto: int
) -> list[Row]:
    query = (
        select(
            vectors.c.item_id,
            vectors.c.vector,
            MemoryItem.agent_id,
            MemoryItem.group_id,
            MemoryItem.user_id,
            MemoryItem.layer,
            MemoryItem.kind,
            MemoryItem.occurred_at,
        )
        .join(MemoryItem, MemoryItem.id == vectors.c.item_id)
        .where(
            vectors.c.org_id == org_id,
            vectors.c.embedder == embedder,
            vectors.c.generation <= upto,
        )
    )
    if since is not None:
        query = query.where(vectors.c.generation > since)
    return [Row(*row) for row in (await session.execute(query)).all()]


def _orgs(items: Sequence[MemoryItem]) -> list[str]:
    return sorted({item.org_id for item in items})
