"""Whose memory a write goes to, and whose memory a reader may see.

Memory is kept apart by tenant and grant: an agent's items are shared by everyone who may use
the agent unless they belong to one user, and a team's blackboard is read only by the team's
members. Every query of items filters through `Scope.visible`, so no path forgets it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_

from nexora.storage.models import MemoryItem


@dataclass(frozen=True, slots=True)
class Owner:
    """Where a write goes: an agent's memory (private to `user_id` when set) or a team's
    blackboard (`group_id`)."""

    org_id: str
    agent_id: str | None = None
    group_id: str | None = None
    user_id: str | None = None

    def __post_init__(self) -> None:
        if (self.agent_id is None) == (self.group_id is None):
            raise ValueError("a memory owner is exactly one agent or one group")


@dataclass(frozen=True, slots=True)
class Scope:
    """What one reader sees: the agent's shared items, the items private to `user_id`, and
    the blackboards of `group_ids`, all within one organization. Without an agent (a team's
    board read on its own), only the boards."""

    org_id: str
    agent_id: str | None
    user_id: str | None = None
    group_ids: tuple[str, ...] = ()

    def visible(self, table: type[MemoryItem] = MemoryItem) -> ColumnElement[bool]:
        """The active items this reader may see."""
        if self.agent_id is None:
            return and_(
                table.org_id == self.org_id,
                table.status == "active",
                table.group_id.in_(self.group_ids),
            )
        own = and_(
            table.agent_id == self.agent_id,
            or_(table.user_id.is_(None), table.user_id == self.user_id)
            if self.user_id is not None
            else table.user_id.is_(None),
        )
        mine = or_(own, table.group_id.in_(self.group_ids)) if self.group_ids else own
        return and_(table.org_id == self.org_id, table.status == "active", mine)

    def owner(self, *, private: bool = False) -> Owner:
        """Where this reader's own writes go: the agent's shared memory, or the reader's."""
        return Owner(self.org_id, agent_id=self.agent_id, user_id=self.user_id if private else None)
