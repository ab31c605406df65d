"""The memory of one process: items (kept in step with the search index) and core blocks.

`Platform` builds one `Memory` from the settings; the runtime's memory tools, the API, the
CLI and ingestion all reach items and blocks through it, so the index and its embedder are
constructed in this one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexora.config.settings import Settings
from nexora.memory.blocks import CoreBlocks
from nexora.memory.index import memory_index
from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.items import MemoryItems


@dataclass
class Memory:
    items: MemoryItems
    blocks: CoreBlocks
    index: HybridIndex

    @classmethod
    def from_settings(cls, settings: Settings) -> Memory:
        index = memory_index(settings)  # the embedder itself loads on first use
        return cls(items=MemoryItems(index=index), blocks=CoreBlocks(), index=index)

    @property
    def embedder_name(self) -> str | None:
        """The embedder behind vector search; None when search is full text only."""
        return self.index.embedder.name if self.index.embedder is not None else None
