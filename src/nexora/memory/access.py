"""Memory as people reach it through the API and the CLI: items, blocks and the change feed,
each behind the same gate (tenant, grant, privacy) and audited."""

from __future__ import annotations

from dataclasses import dataclass

from nexora.agents.registry import AgentRegistry
from nexora.governance.audit import AuditLog
from nexora.memory.block_access import BlockAccess
from nexora.memory.change_access import ChangeAccess
from nexora.memory.gate import Gate
from nexora.memory.item_access import ItemAccess
from nexora.memory.service import Memory


@dataclass
class MemoryAccess:
    items: ItemAccess
    blocks: BlockAccess
    changes: ChangeAccess

    @classmethod
    def build(cls, memory: Memory, agents: AgentRegistry, audit: AuditLog) -> MemoryAccess:
        gate = Gate(agents, audit)
        return cls(
            items=ItemAccess(memory, gate),
            blocks=BlockAccess(memory.blocks, gate),
            changes=ChangeAccess(memory, gate),
        )
