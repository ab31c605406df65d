"""The per-org generation of stored vectors, bumped in the writing transaction.

A search that keeps an org's vectors in memory reads it (one primary-key lookup) to know
whether any process changed them since it loaded them. Writers of one org take the row's lock
in turn, so generations become visible in the order they were handed out: rows written at a
generation no newer than the one read are all committed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.memory.index.tables import index_state


@dataclass(frozen=True, slots=True)
class Generation:
    generation: int  # every write
    removals: int  # writes that took vectors away: those need a fresh load


async def bump(session: AsyncSession, org_id: str, *, removal: bool = False) -> int:
    """The org's next generation, for the vectors written now."""
    removed = 1 if removal else 0
    result = await session.execute(
        text(
            "INSERT INTO memory_index_state (org_id, generation, removals)"
            " VALUES (:org_id, 1, :removed)"
            " ON CONFLICT (org_id) DO UPDATE SET"
            " generation = memory_index_state.generation + 1,"
            " removals = memory_index_state.removals + :removed"
            " RETURNING generation"
        ),
        {"org_id": org_id, "removed": removed},
    )
    return int(result.scalar_one())


async def current(session: AsyncSession, org_id: str) -> Generation:
    row = (
        await session.execute(
            select(index_state.c.generation, index_state.c.removals).where(
                index_state.c.org_id == org_id
            )
        )
    ).first()
    return Generation(int(row.generation), int(row.removals)) if row else Generation(0, 0)
