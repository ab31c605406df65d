"""What a search may return: the reader's scope plus the caller's layers, kinds and time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_

from nexora.memory.scope import Scope
from nexora.storage.models import MemoryItem


@dataclass(frozen=True, slots=True)
class Filters:
    scope: Scope
    layers: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def of(
        cls,
        scope: Scope,
        *,
        layers: Sequence[str] | None,
        kinds: Sequence[str] | None,
        since: datetime | None,
        until: datetime | None,
    ) -> Filters:
        return cls(
            scope,
            tuple(layers) if layers else None,
            tuple(kinds) if kinds else None,
            since,
            until,
        )

    def where(self) -> ColumnElement[bool]:
        """The SQL condition on `memory_items`; every candidate list is filtered by it, so a
        hit outside the reader's scope cannot be returned whatever an index holds."""
        conditions = [self.scope.visible(MemoryItem)]
        if self.layers:
            conditions.append(MemoryItem.layer.in_(self.layers))
        if self.kinds:
            conditions.append(MemoryItem.kind.in_(self.kinds))
        if self.since is not None:
            conditions.append(MemoryItem.occurred_at >= self.since)
        if self.until is not None:
            conditions.append(MemoryItem.occurred_at < self.until)
        return and_(*conditions)
