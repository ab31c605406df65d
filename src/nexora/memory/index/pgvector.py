"""Vectors in pgvector's type, searched with an HNSW index (cosine) per embedder.

The column has no fixed size (embedders differ), so each embedder gets a partial expression
index at its own size, created when that embedder is first used. pgvector 0.6 filters after
the index scan, so a scoped search over-fetches, and when the scope keeps fewer than it needs
(a small agent in a large org), searches that scope exactly instead."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Float, String, bindparam, cast, delete, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import UserDefinedType

from nexora.memory.index.filters import Filters
from nexora.memory.index.matrix import Floats
from nexora.memory.index.tables import vectors
from nexora.storage.models import MemoryItem

# pgvector's ceiling for hnsw.ef_search; candidates beyond it come from the exact search.
MAX_EF_SEARCH = 1000
_SAFE_NAME = re.compile(r"[A-Za-z0-9._:/@-]{1,200}")

# The vector is bound as real[] (sent in binary by the driver) and cast by pgvector: formatting
# 384 floats as text took more time than the rest of the insert short of the HNSW update.
_UPSERT = text(
    "INSERT INTO memory_vectors (item_id, org_id, embedder, dims, generation, vector)"
    " VALUES (:item_id, :org_id, :embedder, :dims, 0, CAST(CAST(:vector AS real[]) AS vector))"
    " ON CONFLICT (item_id) DO UPDATE SET org_id = excluded.org_id,"
    " embedder = excluded.embedder, dims = excluded.dims, vector = excluded.vector"
)


class _Vector(UserDefinedType[str]):
    """pgvector's type at one size, for casting a bound '[x,y,…]' text."""

    cache_ok = True

    def __init__(self, dims: int) -> None:
        self.dims = dims

    def get_col_spec(self, **_: object) -> str:
        return f"vector({self.dims})"


def _literal(vector: Floats) -> str:
    return "[" + ",".join(f"{value:.7g}" for value in vector.tolist()) + "]"


def _embedder_sql(name: str) -> str:
    # Inlined, not bound: the planner can use a partial index only for a predicate it can see.
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"unexpected characters in embedder name {name!r}")
    return "'" + name + "'"


def index_name(embedder: str, dims: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", embedder.lower()).strip("_")[:40]
    return f"ix_memory_vectors_hnsw_{slug}_{dims}"


class PgVectors:
    def __init__(self) -> None:
        self._indexed: set[tuple[str, int]] = set()

    async def write(
        self,
        session: AsyncSession,
        items: Sequence[MemoryItem],
        embedder: str,
        matrix: Floats,
    ) -> None:
        dims = int(matrix.shape[1])
        await self.ensure_index(session, embedder, dims)
        await session.execute(
            _UPSERT,
            [
                {
                    "item_id": item.id,
                    "org_id": item.org_id,
                    "embedder": embedder,
                    "dims": dims,
                    "vector": row,
                }
                for item, row in zip(items, matrix.tolist(), strict=True)
            ],
        )

    async def delete(self, session: AsyncSession, item_ids: Sequence[str]) -> None:
        await session.execute(delete(vectors).where(vectors.c.item_id.in_(item_ids)))

    async def ensure_index(self, session: AsyncSession, embedder: str, dims: int) -> None:
        if (embedder, dims) in self._indexed:
            return
        name = index_name(embedder, dims)
        exists = await session.scalar(
            text("SELECT 1 FROM pg_indexes WHERE indexname = :name"), {"name": name}
        )
        if exists:
            self._indexed.add((embedder, dims))
        else:
            # Not remembered here: the caller may roll back; the next call looks again.
            await session.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS {name} ON memory_vectors"
                    f" USING hnsw ((vector::vector({dims})) vector_cosine_ops)"
                    f" WHERE embedder = {_embedder_sql(embedder)}"
                )
            )

    async def nearest(
        self,
        session: AsyncSession,
        embedder: str,
        query: Floats,
        filters: Filters,
        limit: int,
    ) -> list[str]:
        dims = int(query.shape[0])
        await self.ensure_index(session, embedder, dims)
        fetch = min(MAX_EF_SEARCH, max(100, 2 * limit))
        await session.execute(
            text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": str(fetch)}
        )
        probe = cast(bindparam("query", _literal(query), type_=String), _Vector(dims))
        distance = literal_column(f"vector::vector({dims})").op("<=>", return_type=Float)(probe)
        ours = text(f"embedder = {_embedder_sql(embedder)}")
        candidates = (
            select(vectors.c.item_id, distance.label("distance"))
            .where(ours)
            .order_by(distance)
            .limit(fetch)
            .cte("candidates")
            .prefix_with("MATERIALIZED")
        )
        found = list((await session.scalars(filters.keep(candidates, limit))).all())
        if len(found) >= limit:
            return found
        # `+ 0` hides the expression from the planner, so it scans the scope's rows exactly
        # instead of the index (which would hand back the same too-short list).
        everything = select(vectors.c.item_id, (distance + 0).label("distance")).where(ours)
        return list((await session.scalars(filters.keep(everything.cte("exact"), limit))).all())
