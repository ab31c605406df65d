"""Core memory: a few named, size-limited blocks placed in every prompt of their agent.

`persona` holds the agent's notes about itself and is shared by all its users; `human` (what
the agent knows about the person it talks to) and `goals` (what that person is working on)
are kept per user, so one user's facts never reach another user's prompt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import InvalidInput, NotFound
from nexora.memory.items import Origin, record_change
from nexora.storage.models import MemoryBlock, MemoryChange

LABEL = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class MemoryLimitError(InvalidInput):
    """A block would grow past its limit: the agent (or person) should condense it first."""


@dataclass(frozen=True, slots=True)
class BlockKind:
    label: str
    description: str
    per_user: bool


DEFAULT_BLOCKS: tuple[BlockKind, ...] = (
    BlockKind(
        "persona", "What the agent has learned about its own role and way of working.", False
    ),
    BlockKind(
        "human", "Facts about the person the agent is talking to and their preferences.", True
    ),
    BlockKind("goals", "What that person is working on now.", True),
)
_DEFAULTS = {kind.label: kind for kind in DEFAULT_BLOCKS}


def check_label(label: str) -> str:
    if not LABEL.match(label):
        raise InvalidInput(
            "a block label is 1-64 lower-case letters, digits or '_', starting with a letter"
        )
    return label


class CoreBlocks:
    def __init__(self, default_char_limit: int = 2000) -> None:
        self.default_char_limit = default_char_limit

    async def list(
        self, session: AsyncSession, org_id: str, agent_id: str, user_id: str | None
    ) -> list[MemoryBlock]:
        """The blocks one user's prompts show: the agent's shared ones and the user's own."""
        users = or_(MemoryBlock.user_id.is_(None), MemoryBlock.user_id == user_id)
        rows = await session.scalars(
            select(MemoryBlock)
            .where(
                MemoryBlock.org_id == org_id,
                MemoryBlock.agent_id == agent_id,
                users if user_id is not None else MemoryBlock.user_id.is_(None),
            )
            .order_by(MemoryBlock.label, MemoryBlock.user_id)
        )
        return list(rows)

    async def get(self, session: AsyncSession, org_id: str, block_id: str) -> MemoryBlock:
        block = await session.get(MemoryBlock, block_id)
        if block is None or block.org_id != org_id:
            raise NotFound("no such memory block")
        return block

    async def find(
        self, session: AsyncSession, org_id: str, agent_id: str, user_id: str | None, label: str
    ) -> MemoryBlock | None:
        """The block a user's prompts know by that label; their own before the shared one."""
        blocks = [
            b for b in await self.list(session, org_id, agent_id, user_id) if b.label == label
        ]
        blocks.sort(key=lambda block: block.user_id is None)
        return blocks[0] if blocks else None

    async def create(
        self,
        session: AsyncSession,
        org_id: str,
        agent_id: str,
        label: str,
        *,
        user_id: str | None,
        value: str = "",
        description: str | None = None,
        char_limit: int | None = None,
        origin: Origin,
        actor_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryBlock:
        check_label(label)
        limit = char_limit or self.default_char_limit
        _check_size(label, value, limit)
        default = _DEFAULTS.get(label)
        block = MemoryBlock(
            org_id=org_id,
            agent_id=agent_id,
            user_id=user_id,
            label=label,
            value=value,
            description=description
            if description is not None
            else (default.description if default else ""),
            char_limit=limit,
            version=1,
        )
        session.add(block)
        await session.flush()
        record_change(session, "block", block, "create", None, value, origin, actor_id, run_id)
        return block

    async def ensure(
        self,
        session: AsyncSession,
        org_id: str,
        agent_id: str,
        user_id: str | None,
        label: str,
        *,
        origin: Origin,
        actor_id: str | None = None,
        run_id: str | None = None,
        char_limit: int | None = None,
    ) -> MemoryBlock:
        """The block a write by label goes to, created empty when missing (per user for the
        default per-user labels, shared otherwise; `char_limit` for one created)."""
        block = await self.find(session, org_id, agent_id, user_id, check_label(label))
        if block is not None:
            return block
        default = _DEFAULTS.get(label)
        private = default.per_user if default else False
        return await self.create(
            session,
            org_id,
            agent_id,
            label,
            user_id=user_id if private else None,
            char_limit=char_limit,
            origin=origin,
            actor_id=actor_id,
            run_id=run_id,
        )

    async def append(
        self,
        session: AsyncSession,
        block: MemoryBlock,
        text: str,
        *,
        origin: Origin,
        actor_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryBlock:
        text = text.strip()
        if not text:
            raise InvalidInput("nothing to append")
        value = f"{block.value.rstrip()}\n{text}" if block.value.strip() else text
        return await self.set(
            session, block, value, origin=origin, actor_id=actor_id, run_id=run_id
        )

    async def replace(
        self,
        session: AsyncSession,
        block: MemoryBlock,
        old: str,
        new: str,
        *,
        origin: Origin,
        actor_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryBlock:
        """Replaces one exact passage; an empty `new` removes it."""
        if not old or old not in block.value:
            raise InvalidInput(f"the {block.label!r} block does not contain that text")
        value = block.value.replace(old, new, 1)
        value = "\n".join(line for line in value.splitlines() if line.strip())
        return await self.set(
            session, block, value, origin=origin, actor_id=actor_id, run_id=run_id
        )

    async def set(
        self,
        session: AsyncSession,
        block: MemoryBlock,
        value: str,
        *,
        origin: Origin,
        actor_id: str | None = None,
        run_id: str | None = None,
        reason: str | None = None,
    ) -> MemoryBlock:
        _check_size(block.label, value, block.char_limit)
        before = block.value
        if before == value:
            return block
        block.value = value
        block.version += 1
        record_change(
            session, "block", block, "update", before, value, origin, actor_id, run_id, reason
        )
        await session.flush()
        return block

    async def delete(
        self,
        session: AsyncSession,
        block: MemoryBlock,
        *,
        origin: Origin,
        actor_id: str | None = None,
    ) -> None:
        block.version += 1
        record_change(session, "block", block, "delete", block.value, None, origin, actor_id, None)
        await session.delete(block)
        await session.flush()

    async def history(
        self, session: AsyncSession, org_id: str, block_id: str
    ) -> Sequence[MemoryChange]:
        rows = await session.scalars(
            select(MemoryChange)
            .where(
                MemoryChange.org_id == org_id,
                MemoryChange.target == "block",
                MemoryChange.target_id == block_id,
            )
            .order_by(MemoryChange.version, MemoryChange.created_at)
        )
        return list(rows)


def _check_size(label: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise MemoryLimitError(
            f"the {label!r} block holds at most {limit} characters ({len(value)} given): "
            "condense it with core_memory_replace first"
        )
