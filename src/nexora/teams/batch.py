"""Deleting several rows of one kind by id, each id reported on its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor


async def delete_each(
    db: AsyncSession,
    actor: Actor,
    model: Any,
    ids: Sequence[str],
    in_use: Callable[[AsyncSession, str], Awaitable[int]] | None = None,
) -> dict[str, str]:
    """Each id's outcome: "deleted", "not_found" (another org's id included) or "in_use"."""
    outcome: dict[str, str] = {}
    for row_id in dict.fromkeys(ids):
        row = await db.get(model, row_id)
        if row is None or row.org_id != actor.org_id:
            outcome[row_id] = "not_found"
        elif in_use is not None and await in_use(db, row_id):
            outcome[row_id] = "in_use"
        else:
            await db.delete(row)
            outcome[row_id] = "deleted"
    await db.commit()
    return outcome
