"""Hybrid retrieval over memory items: `HybridIndex` implements `MemoryIndex`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexora.memory.items import Hit, MemoryIndex

if TYPE_CHECKING:
    from nexora.config import Settings
    from nexora.memory.index.hybrid import HybridIndex

__all__ = ["Hit", "MemoryIndex", "memory_index"]


def memory_index(settings: Settings) -> HybridIndex:
    """The index for this process, with the embedder the settings name."""
    from nexora.memory.embed import embedder_for
    from nexora.memory.index.hybrid import HybridIndex

    return HybridIndex(embedder_for(settings))
