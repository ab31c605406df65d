"""The memory of one process: items (kept in step with the search index) and core blocks.

`Platform` builds one `Memory` from the settings; the runtime's memory tools and upkeep, the
API, the CLI and ingestion all reach items and blocks through it, so the index and its
embedder are constructed in this one place — on first use, since NumPy and the embedder's
client would cost every start-up ~150 ms.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from nexora.config.settings import Settings
from nexora.memory.blocks import CoreBlocks
from nexora.memory.items import MemoryItems

if TYPE_CHECKING:
    from nexora.memory.index.hybrid import HybridIndex


class Memory:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.blocks = CoreBlocks()

    @classmethod
    def from_settings(cls, settings: Settings) -> Memory:
        return cls(settings)

    @cached_property
    def index(self) -> HybridIndex:
        from nexora.memory.index import memory_index

        return memory_index(self.settings)

    @cached_property
    def items(self) -> MemoryItems:
        return MemoryItems(index=self.index)

    @property
    def embedder_name(self) -> str | None:
        """The embedder behind vector search; None when search is full text only."""
        return self.index.embedder.name if self.index.embedder is not None else None
