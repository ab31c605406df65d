"""A team's blackboard: episodic memory items owned by the group, which its members' searches
see during team runs. Members write notes with `blackboard_write`; each completed team run
leaves its outcome there (see `nexora.teams.run.outcome`)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from nexora.errors import NexoraError
from nexora.memory.items import MAX_ITEM_CHARS, NewItem
from nexora.memory.scope import Owner
from nexora.memory.service import Memory
from nexora.runtime.events import EventType
from nexora.security.verdict import Danger
from nexora.storage.db import Database
from nexora.tools.base import ToolContext, ToolSpec

BLACKBOARD_KEY = "blackboard"  # ToolContext.extra[BLACKBOARD_KEY]: the run's Blackboard


@dataclass(frozen=True, slots=True)
class Blackboard:
    db: Database
    memory: Memory
    org_id: str
    group_id: str

    @property
    def owner(self) -> Owner:
        return Owner(self.org_id, group_id=self.group_id)


class BlackboardInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1, max_length=MAX_ITEM_CHARS, description="The note for your team."
    )


async def _write(args: BlackboardInput, context: ToolContext) -> str:
    board: Blackboard | None = context.extra.get(BLACKBOARD_KEY)
    if board is None:
        return "There is no team blackboard in this run."
    note = NewItem("episodic", "note", args.text, run_id=context.run_id)
    try:
        async with board.db.session() as session:
            (added,) = await board.memory.items.add(
                session, board.owner, [note], origin="agent", run_id=context.run_id
            )
            await session.commit()
    except NexoraError as exc:
        return f"Not written: {exc.detail}"
    if context.emit is not None and added.created:
        await context.emit(
            EventType.MEMORY_WRITTEN,
            {
                "tool": "blackboard_write",
                "target": "item",
                "id": added.item.id,
                "group_id": board.group_id,
                "layer": "episodic",
                "kind": "note",
            },
        )
    return f"Written to the team blackboard (id {added.item.id})."


BLACKBOARD_WRITE: ToolSpec[BlackboardInput] = ToolSpec(
    name="blackboard_write",
    description=(
        "Leave a note on your team's blackboard, which the other members (now and in later "
        "team runs) find with memory_search: findings, decisions, open questions."
    ),
    input_model=BlackboardInput,
    danger=Danger.LOW,
    run=_write,
)
