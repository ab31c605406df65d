"""A finished run's turns kept as episodic memory, so anything said can be found again."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.memory.items import MAX_ITEM_CHARS, MemoryItems, NewItem
from nexora.memory.scope import Owner
from nexora.storage.models import Run


def run_source(run_id: str) -> str:
    """The source of a run's message items: storing them twice (a job retried after a crash)
    finds the same content under the same source and adds nothing."""
    return f"run:{run_id}"


def turn_items(run: Run) -> list[NewItem]:
    said = [("user", run.input, run.created_at), ("assistant", run.output, run.finished_at)]
    return [
        NewItem(
            layer="episodic",
            kind="message",
            text=text[:MAX_ITEM_CHARS],
            source=run_source(run.id),
            position=position,
            meta={"role": role},
            occurred_at=when,
            session_id=run.session_id,
            run_id=run.id,
        )
        for position, (role, text, when) in enumerate(said)
        if text and text.strip()
    ]


async def remember_turns(session: AsyncSession, items: MemoryItems, run: Run) -> int:
    """Stores the run's input and answer, private to the run's user; returns how many were new."""
    owner = Owner(run.org_id, agent_id=run.agent_id, user_id=run.user_id)
    results = await items.add(session, owner, turn_items(run), origin="auto", run_id=run.id)
    return sum(result.created for result in results)
