"""The memory of one process: items (kept in step with the search index) and core blocks.

`Platform` builds one `Memory` from the settings; the runtime's memory tools, the API and the
CLI all reach items and blocks through it, so the index is constructed in this one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexora.config.settings import Settings
from nexora.memory.blocks import CoreBlocks
from nexora.memory.items import MemoryItems


@dataclass
class Memory:
    items: MemoryItems
    blocks: CoreBlocks

    @classmethod
    def from_settings(cls, settings: Settings) -> Memory:
        del settings  # the search index will be configured from them
        return cls(items=MemoryItems(index=None), blocks=CoreBlocks())

    @property
    def embedder_name(self) -> str | None:
        """The embedder behind vector search; None when search is full text only."""
        return None

    @property
    def searchable(self) -> bool:
        """Whether episodic and archival items can be searched in this process."""
        return self.items.index is not None
