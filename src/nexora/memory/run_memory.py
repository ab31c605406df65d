"""An agent's memory as one run holds it: who it reads and writes for, and the core blocks
placed in the run's system instructions.

The runtime loads it once per run (`load_run_memory`) into `ToolContext.extra[MEMORY_KEY]`;
the memory tools read and write through it, and the prompt shows its blocks, which the
tools keep current so a block the model just changed reads right at its next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.memory.blocks import DEFAULT_BLOCKS
from nexora.memory.scope import Scope
from nexora.memory.service import Memory
from nexora.storage.db import Database
from nexora.storage.models import MemoryBlock, Run

MEMORY_KEY = "memory"  # ToolContext.extra[MEMORY_KEY]: the run's RunMemory


@dataclass(slots=True)
class BlockView:
    """A core block as the prompt shows it; one not written yet has no id."""

    label: str
    value: str
    description: str
    char_limit: int
    private: bool
    id: str | None = None

    @classmethod
    def of(cls, block: MemoryBlock) -> BlockView:
        return cls(
            block.label,
            block.value,
            block.description,
            block.char_limit,
            block.user_id is not None,
            block.id,
        )


@dataclass
class RunMemory:
    db: Database
    memory: Memory
    scope: Scope
    run_id: str
    char_limit: int  # for blocks the model starts
    blocks: list[BlockView] = field(default_factory=list)

    def show(self, block: MemoryBlock) -> None:
        """Puts a block the run just changed in place of what the prompt showed."""
        view = BlockView.of(block)
        for index, shown in enumerate(self.blocks):
            if shown.label == view.label:
                self.blocks[index] = view
                return
        self.blocks.append(view)


async def load_run_memory(
    memory: Memory,
    db: Database,
    session: AsyncSession,
    run: Run,
    char_limit: int,
    *,
    group_ids: tuple[str, ...] = (),
) -> RunMemory:
    """The run's memory with the blocks its user's prompts show: the agent's shared ones and
    the user's own, plus the default blocks not written yet (empty), so the model knows them.
    A team member's searches also see the blackboards of `group_ids`."""
    scope = Scope(run.org_id, run.agent_id, run.user_id, group_ids)
    stored = await memory.blocks.list(session, run.org_id, run.agent_id, run.user_id)
    shown: dict[str, BlockView] = {}
    for block in sorted(stored, key=lambda b: b.user_id is None):  # the user's own first
        shown.setdefault(block.label, BlockView.of(block))
    for kind in DEFAULT_BLOCKS:
        shown.setdefault(
            kind.label, BlockView(kind.label, "", kind.description, char_limit, kind.per_user)
        )
    blocks = sorted(shown.values(), key=_order)
    return RunMemory(db, memory, scope, run.id, char_limit, blocks)


def _order(view: BlockView) -> tuple[int, str]:
    defaults = [kind.label for kind in DEFAULT_BLOCKS]
    return (defaults.index(view.label) if view.label in defaults else len(defaults), view.label)


def core_memory_prompt(run_memory: RunMemory | None) -> str:
    """The core blocks for the system instructions, with how full each one is."""
    if run_memory is None:
        return ""
    return render_blocks(run_memory.blocks)


def render_blocks(blocks: Sequence[BlockView]) -> str:
    parts = [
        "<core_memory>",
        "Your core memory: short notes that stay in every conversation. Keep them current "
        "with core_memory_append and core_memory_replace (condense a block before it is full); "
        "put longer knowledge in archival memory and look things up with memory_search.",
    ]
    for block in blocks:
        scope = "this user only" if block.private else "shared by your users"
        parts.append(
            f'<block label="{escape(block.label)}" chars="{len(block.value)}/{block.char_limit}" '
            f'scope="{scope}">\n'
            f"<description>{escape(block.description)}</description>\n"
            f"{escape(block.value, quote=False) if block.value else '(empty)'}\n</block>"
        )
    parts.append("</core_memory>")
    return "\n".join(parts)
