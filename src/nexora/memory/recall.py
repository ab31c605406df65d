"""One search over an agent's three layers, as the model's `memory_search` tool and the
people's search API both see it: episodic and archival items through the search index, and
the core blocks matched by their words.

Core blocks are already in every prompt; they are searched so a person (or the model) finds
where something is remembered. Their matches come after the items, at most `CORE_HITS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import InvalidInput
from nexora.memory.items import LAYERS
from nexora.memory.scope import Scope
from nexora.memory.service import Memory
from nexora.memory.text import analyze, query_terms
from nexora.storage.models import MemoryBlock

SearchLayer = Literal["core", "episodic", "archival"]
SEARCH_LAYERS: tuple[SearchLayer, ...] = ("core", *LAYERS)
CORE_HITS = 3
MAX_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Recalled:
    id: str
    layer: SearchLayer
    kind: str  # an item's kind; "block" for core memory
    text: str
    score: float
    source: str | None  # a block's label
    user_id: str | None
    created_at: datetime
    lexical_rank: int | None = None
    vector_rank: int | None = None


async def recall(
    memory: Memory,
    session: AsyncSession,
    scope: Scope,
    query: str,
    *,
    layers: Sequence[str] | None = None,
    limit: int = 10,
) -> list[Recalled]:
    if not query.strip():
        raise InvalidInput("the search query is empty")
    wanted = set(layers or SEARCH_LAYERS)
    if unknown := wanted - set(SEARCH_LAYERS):
        raise InvalidInput(f"unknown layers {sorted(unknown)}: use {', '.join(SEARCH_LAYERS)}")
    limit = max(1, min(limit, MAX_LIMIT))
    found: list[Recalled] = []
    item_layers = [layer for layer in LAYERS if layer in wanted]
    if item_layers:
        hits = await memory.items.search(session, scope, query, layers=item_layers, limit=limit)
        found += [
            Recalled(
                id=hit.item.id,
                layer=hit.item.layer,  # type: ignore[arg-type]
                kind=hit.item.kind,
                text=hit.item.text,
                score=hit.score,
                source=hit.item.source,
                user_id=hit.item.user_id,
                created_at=hit.item.created_at,
                lexical_rank=hit.lexical_rank,
                vector_rank=hit.vector_rank,
            )
            for hit in hits
        ]
    if "core" in wanted and scope.agent_id is not None:  # a team board has no core blocks
        blocks = await memory.blocks.list(session, scope.org_id, scope.agent_id, scope.user_id)
        found += matching_blocks(blocks, query)[: min(CORE_HITS, limit)]
    return found


def matching_blocks(blocks: Sequence[MemoryBlock], query: str) -> list[Recalled]:
    """Blocks holding the query's terms (the same analysis as the full-text index: stemmed
    English, Chinese cut into words), best first; the score is the share of terms found."""
    terms = query_terms(query)
    if not terms:
        return []
    scored: list[Recalled] = []
    for block in blocks:
        present = set(analyze(block.value))
        found = sum(1 for term in terms if term in present)
        if not found:
            continue
        scored.append(
            Recalled(
                id=block.id,
                layer="core",
                kind="block",
                text=block.value,
                score=found / len(terms),
                source=block.label,
                user_id=block.user_id,
                created_at=block.created_at,
            )
        )
    scored.sort(key=lambda hit: -hit.score)
    return scored
