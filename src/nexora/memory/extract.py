"""Durable facts, preferences and lessons drawn from a run's turns by the agent's model.

The model sees the new turns with the related memories already stored and answers with
operations: add, update (when the turns contradict or refine a memory), retire, or none.
Its answer is checked operation by operation: anything malformed, naming a memory it was not
shown, or past the per-run limit is skipped, so a confused model costs nothing but the call.
Every change is written with origin "auto", the run and the model's reason, so people see
it in the memory's history and can revert it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.memory.blocks import CoreBlocks
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.scope import Owner, Scope
from nexora.storage.models import MemoryItem, Run

log = logging.getLogger(__name__)

EXTRACT_KINDS = ("fact", "preference", "lesson")
CANDIDATES = 12
MAX_TURN_CHARS = 6000


class _Op(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class AddOp(_Op):
    op: Literal["add"]
    kind: Literal["fact", "preference", "lesson"]
    text: str = Field(min_length=3, max_length=1000)
    reason: str | None = Field(default=None, max_length=500)


class UpdateOp(_Op):
    op: Literal["update"]
    id: str
    text: str = Field(min_length=3, max_length=1000)
    reason: str | None = Field(default=None, max_length=500)


class RetireOp(_Op):
    op: Literal["retire"]
    id: str
    reason: str | None = Field(default=None, max_length=500)


class NoOp(_Op):
    op: Literal["none"]


Operation = Annotated[AddOp | UpdateOp | RetireOp | NoOp, Field(discriminator="op")]
_OPERATION: TypeAdapter[Operation] = TypeAdapter(Operation)


@dataclass(frozen=True, slots=True)
class Parsed:
    operations: list[AddOp | UpdateOp | RetireOp]
    skipped: int


def _payload(text: str) -> Any:
    """The first JSON object or array in the answer: models wrap JSON in prose or fences."""
    decoder = json.JSONDecoder()
    for start, char in enumerate(text):
        if char not in "{[":
            continue
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if (isinstance(value, dict) and "operations" in value) or isinstance(value, list):
            return value
    return None


def parse_operations(text: str, known_ids: Collection[str], max_ops: int) -> Parsed:
    payload = _payload(text)
    raw = payload.get("operations") if isinstance(payload, dict) else payload
    if not isinstance(raw, list):
        return Parsed([], 1 if text.strip() else 0)
    operations: list[AddOp | UpdateOp | RetireOp] = []
    skipped = 0
    touched: set[str] = set()
    for entry in raw:
        try:
            op = _OPERATION.validate_python(entry)
        except ValidationError:
            skipped += 1
            continue
        if isinstance(op, NoOp):
            continue
        if isinstance(op, UpdateOp | RetireOp) and (op.id not in known_ids or op.id in touched):
            skipped += 1  # only memories it was shown, each once
            continue
        if len(operations) >= max_ops:
            skipped += 1
            continue
        if isinstance(op, UpdateOp | RetireOp):
            touched.add(op.id)
        operations.append(op)
    return Parsed(operations, skipped)


@dataclass(frozen=True, slots=True)
class Known:
    """What the model is shown of memory: related items the run's user owns, and what the
    agent's core `human` block says about them."""

    items: list[MemoryItem]
    human: str

    @property
    def ids(self) -> set[str]:
        return {item.id for item in self.items}


def _own(run: Run) -> Any:
    return (
        (MemoryItem.org_id == run.org_id)
        & (MemoryItem.agent_id == run.agent_id)
        & (MemoryItem.user_id == run.user_id)
        & (MemoryItem.status == "active")
    )


async def known_memories(
    session: AsyncSession, items: MemoryItems, blocks: CoreBlocks, run: Run
) -> Known:
    """Only items private to the run's user may be changed by extraction from that user's
    conversation: shared memory is written by people and the agent's tools, never by what
    one user happened to say."""
    scope = Scope(run.org_id, run.agent_id, user_id=run.user_id)
    hits = await items.search(
        session, scope, run.input[:1000], kinds=EXTRACT_KINDS, limit=CANDIDATES
    )
    found = [hit.item for hit in hits if hit.item.user_id == run.user_id]
    block = await blocks.find(session, run.org_id, run.agent_id, run.user_id, "human")
    return Known(found, block.value if block is not None else "")


INSTRUCTIONS = """You keep the long-term memory of an AI assistant about the user it talks to.
Read the new conversation turns and the memories already stored, then answer with JSON only:
{"operations": [ ... ]} holding at most MAX_OPS operations, each one of
  {"op": "add", "kind": "fact" | "preference" | "lesson", "text": "...", "reason": "..."}
  {"op": "update", "id": "<id of a stored memory>", "text": "...", "reason": "..."}
  {"op": "retire", "id": "<id of a stored memory>", "reason": "..."}
  {"op": "none"}
Add durable facts about the user and their world, their preferences, and lessons on how to
help them better; write each as one short self-contained sentence in the user's language.
When the new turns contradict or refine a stored memory, update that memory (write the whole
corrected sentence) instead of adding a second one; retire a memory that is no longer true.
Never repeat a stored memory, never store passwords, keys or other secrets, and skip small
talk and one-off requests: answer {"operations": [{"op": "none"}]} when nothing durable was
said."""


def extraction_prompt(run: Run, known: Known) -> str:
    stored = [{"id": item.id, "kind": item.kind, "text": item.text} for item in known.items]
    parts = [
        "Stored memories:",
        json.dumps(stored, ensure_ascii=False, indent=1) if stored else "(none)",
    ]
    if known.human.strip():
        parts += ["What the assistant's notes say about the user:", known.human.strip()]
    parts += [
        "New turns:",
        f"user: {run.input[:MAX_TURN_CHARS]}",
        f"assistant: {(run.output or '')[:MAX_TURN_CHARS]}",
    ]
    return "\n\n".join(parts)


def instructions(max_ops: int) -> str:
    return INSTRUCTIONS.replace("MAX_OPS", str(max_ops))


@dataclass
class Applied:
    added: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0  # an add of what was already remembered
    skipped: int = 0

    def as_json(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "retired": self.retired,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


async def apply_operations(
    session: AsyncSession,
    items: MemoryItems,
    run: Run,
    operations: Sequence[AddOp | UpdateOp | RetireOp],
) -> Applied:
    owner = Owner(run.org_id, agent_id=run.agent_id, user_id=run.user_id)
    applied = Applied()
    for op in operations:
        reason = _reason(op.reason)
        if isinstance(op, AddOp):
            new = NewItem("episodic", op.kind, op.text, session_id=run.session_id, run_id=run.id)
            [result] = await items.add(
                session, owner, [new], origin="auto", run_id=run.id, reason=reason
            )
            applied.added += result.created
            applied.unchanged += not result.created
            continue
        # Looked up again: it may have changed since the model was shown it.
        item = await session.scalar(select(MemoryItem).where(_own(run), MemoryItem.id == op.id))
        if item is None:
            applied.skipped += 1
        elif isinstance(op, UpdateOp):
            if op.text == item.text:
                applied.unchanged += 1
                continue
            await items.update(session, item, op.text, origin="auto", run_id=run.id, reason=reason)
            applied.updated += 1
        else:
            await items.retire(session, item, origin="auto", run_id=run.id, reason=reason)
            applied.retired += 1
    return applied


def _reason(text: str | None) -> str:
    said = " ".join((text or "").split())
    return f"extracted after a run: {said}"[:1000] if said else "extracted after a run"
