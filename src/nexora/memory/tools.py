"""The memory tools the model calls: `memory_search`, `core_memory_append`,
`core_memory_replace`, `archival_insert` and `archival_search` (stable names).

Each call works on the run's `RunMemory` (scope: the run's org, agent and user) in its own
transaction, writes with origin "agent" and the run's id, and reports to the run's events:
`memory.written` for every change (with the change id a person can revert) and
`memory.searched` with the ids found, so both show in the run's trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import NexoraError
from nexora.memory.items import MAX_ITEM_CHARS, NewItem
from nexora.memory.recall import MAX_LIMIT, Recalled, SearchLayer, recall
from nexora.memory.run_memory import MEMORY_KEY, RunMemory
from nexora.runtime.events import EventType
from nexora.security.verdict import Danger
from nexora.storage.models import MemoryBlock, MemoryChange, MemoryItem
from nexora.tools.base import ToolContext, ToolSpec

LABEL_FIELD = Field(
    min_length=1,
    max_length=64,
    pattern=r"^[a-z][a-z0-9_]*$",
    description="The block's label, e.g. 'human', 'goals' or 'persona'.",
)
SHOWN_CHARS = 1_500  # of each search result: enough to use, little enough for ten


class SearchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=2000, description="What to look for.")
    layers: list[SearchLayer] | None = Field(
        default=None,
        description="Where to look: 'episodic' (what happened: past conversations, outcomes, "
        "lessons), 'archival' (documents and notes), 'core'. All of them when left out.",
    )
    limit: int = Field(default=8, ge=1, le=MAX_LIMIT, description="At most this many results.")


class ArchivalSearchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=2000, description="What to look for.")
    limit: int = Field(default=8, ge=1, le=MAX_LIMIT, description="At most this many results.")


class AppendInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = LABEL_FIELD
    text: str = Field(min_length=1, max_length=5000, description="The line(s) to add.")


class ReplaceInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = LABEL_FIELD
    old: str = Field(min_length=1, max_length=20_000, description="Exact text now in the block.")
    new: str = Field(max_length=20_000, description="What replaces it; empty removes it.")


class ArchivalInsertInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_ITEM_CHARS, description="What to keep.")
    source: str | None = Field(
        default=None, max_length=500, description="Where it comes from (a URL, a file, a person)."
    )


def _memory(context: ToolContext) -> RunMemory | None:
    found: RunMemory | None = context.extra.get(MEMORY_KEY)
    return found


OFF = "Memory is turned off for this agent."


async def _search(args: SearchInput, context: ToolContext) -> str:
    return await _find(context, args.query, args.layers, args.limit, "memory_search")


async def _archival_search(args: ArchivalSearchInput, context: ToolContext) -> str:
    return await _find(context, args.query, ["archival"], args.limit, "archival_search")


async def _find(
    context: ToolContext, query: str, layers: Sequence[str] | None, limit: int, tool: str
) -> str:
    memory = _memory(context)
    if memory is None:
        return OFF
    try:
        async with memory.db.session() as session:
            found = await recall(
                memory.memory, session, memory.scope, query, layers=layers, limit=limit
            )
    except NexoraError as exc:
        return f"Memory search failed: {exc.detail}"
    await _emit(
        context,
        EventType.MEMORY_SEARCHED,
        {
            "tool": tool,
            "query": query[:500],
            "layers": list(layers) if layers else None,
            "hits": [{"id": hit.id, "layer": hit.layer, "score": hit.score} for hit in found],
        },
    )
    return _results(found)


def _results(found: Sequence[Recalled]) -> str:
    if not found:
        return "Nothing found in memory."
    lines = []
    for number, hit in enumerate(found, 1):
        where = f"{hit.layer}/{hit.kind}" + (f" from {hit.source}" if hit.source else "")
        text = hit.text if len(hit.text) <= SHOWN_CHARS else hit.text[:SHOWN_CHARS] + " […]"
        lines.append(f"[{number}] ({where}, {hit.created_at:%Y-%m-%d}) {text}")
    return "\n".join(lines)


async def _append(args: AppendInput, context: ToolContext) -> str:
    memory = _memory(context)
    if memory is None:
        return OFF

    async def write(session: AsyncSession, block: MemoryBlock) -> MemoryBlock:
        return await memory.memory.blocks.append(
            session, block, args.text, origin="agent", run_id=memory.run_id
        )

    return await _change_block(context, memory, args.label, write, "core_memory_append")


async def _replace(args: ReplaceInput, context: ToolContext) -> str:
    memory = _memory(context)
    if memory is None:
        return OFF

    async def write(session: AsyncSession, block: MemoryBlock) -> MemoryBlock:
        return await memory.memory.blocks.replace(
            session, block, args.old, args.new, origin="agent", run_id=memory.run_id
        )

    return await _change_block(context, memory, args.label, write, "core_memory_replace")


async def _change_block(
    context: ToolContext, memory: RunMemory, label: str, write: Any, tool: str
) -> str:
    scope = memory.scope
    assert scope.agent_id is not None  # a run's memory is always an agent's
    try:
        async with memory.db.session() as session:
            # A block this call starts has its creation in the call's changes too.
            found = await memory.memory.blocks.find(
                session, scope.org_id, scope.agent_id, scope.user_id, label
            )
            before = found.version if found is not None else 0
            block = await memory.memory.blocks.ensure(
                session,
                scope.org_id,
                scope.agent_id,
                scope.user_id,
                label,
                origin="agent",
                run_id=memory.run_id,
                char_limit=memory.char_limit,
            )
            block = await write(session, block)
            changes = await _change_ids(session, "block", block.id, before)
            await session.commit()
    except NexoraError as exc:
        return f"Core memory not changed: {exc.detail}"
    except IntegrityError:  # another run started the same block at that moment
        return "Core memory not changed: the block was being created elsewhere; try again."
    memory.show(block)
    if changes:
        await _emit(
            context,
            EventType.MEMORY_WRITTEN,
            {
                "tool": tool,
                "target": "block",
                "id": block.id,
                "label": block.label,
                "private": block.user_id is not None,
                "version": block.version,
                "change_ids": changes,
            },
        )
    return f"The {label!r} block now holds {len(block.value)} of {block.char_limit} characters."


async def _archival_insert(args: ArchivalInsertInput, context: ToolContext) -> str:
    memory = _memory(context)
    if memory is None:
        return OFF
    new = NewItem("archival", "note", args.text, source=args.source, run_id=memory.run_id)
    try:
        async with memory.db.session() as session:
            (added,) = await memory.memory.items.add(
                session, memory.scope.owner(), [new], origin="agent", run_id=memory.run_id
            )
            changes = await _change_ids(session, "item", added.item.id, 0)
            await session.commit()
    except NexoraError as exc:
        return f"Not stored: {exc.detail}"
    item: MemoryItem = added.item
    if not added.created:
        return f"Already in archival memory (id {item.id})."
    await _emit(
        context,
        EventType.MEMORY_WRITTEN,
        {
            "tool": "archival_insert",
            "target": "item",
            "id": item.id,
            "layer": item.layer,
            "kind": item.kind,
            "version": item.version,
            "change_ids": changes,
        },
    )
    return f"Stored in archival memory (id {item.id})."


async def _change_ids(
    session: AsyncSession, target: str, target_id: str, after_version: int
) -> list[str]:
    """The history rows this call wrote: what a person reverts to undo it."""
    await session.flush()
    rows = await session.scalars(
        select(MemoryChange.id)
        .where(
            MemoryChange.target == target,
            MemoryChange.target_id == target_id,
            MemoryChange.version > after_version,
        )
        .order_by(MemoryChange.version)
    )
    return list(rows)


async def _emit(context: ToolContext, type_: str, payload: dict[str, Any]) -> None:
    if context.emit is not None:
        await context.emit(type_, payload)


MEMORY_SEARCH: ToolSpec[SearchInput] = ToolSpec(
    name="memory_search",
    description=(
        "Search your memory: past conversations and their outcomes and lessons (episodic), "
        "stored documents and notes (archival) and your core memory. Use it before answering "
        "from what you should already know about the user, the team or earlier work."
    ),
    input_model=SearchInput,
    danger=Danger.SAFE,
    run=_search,
)
ARCHIVAL_SEARCH: ToolSpec[ArchivalSearchInput] = ToolSpec(
    name="archival_search",
    description="Search archival memory only: stored documents and notes.",
    input_model=ArchivalSearchInput,
    danger=Danger.SAFE,
    run=_archival_search,
)
CORE_MEMORY_APPEND: ToolSpec[AppendInput] = ToolSpec(
    name="core_memory_append",
    description=(
        "Add a line to one of your core memory blocks (shown in every conversation): durable "
        "facts about the user in 'human', what they work on in 'goals', your way of working "
        "in 'persona'. Keep lines short."
    ),
    input_model=AppendInput,
    danger=Danger.LOW,
    run=_append,
)
CORE_MEMORY_REPLACE: ToolSpec[ReplaceInput] = ToolSpec(
    name="core_memory_replace",
    description=(
        "Replace exact text in a core memory block: correct a fact that changed, condense a "
        "block that is getting full, or remove a line (empty `new`)."
    ),
    input_model=ReplaceInput,
    danger=Danger.LOW,
    run=_replace,
)
ARCHIVAL_INSERT: ToolSpec[ArchivalInsertInput] = ToolSpec(
    name="archival_insert",
    description=(
        "Keep a piece of knowledge in archival memory, shared by everyone who uses you, to "
        "find later with archival_search: reference material, decisions, how-tos."
    ),
    input_model=ArchivalInsertInput,
    danger=Danger.LOW,
    run=_archival_insert,
)
MEMORY_TOOLS: tuple[ToolSpec[Any], ...] = (
    MEMORY_SEARCH,
    CORE_MEMORY_APPEND,
    CORE_MEMORY_REPLACE,
    ARCHIVAL_INSERT,
    ARCHIVAL_SEARCH,
)
MEMORY_TOOL_NAMES = frozenset(spec.name for spec in MEMORY_TOOLS)
