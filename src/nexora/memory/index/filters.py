"""What a search may return: the reader's scope plus the caller's layers, kinds and time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import CTE, ColumnElement, Select, and_, select

from nexora.memory.scope import Scope
from nexora.storage.models import MemoryItem

Row = TypeVarTuple("Row")


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

    def keep(self, candidates: CTE, limit: int) -> Select[str]:
        """The ids of `candidates` (columns `item_id`, `distance`: lower is better) that pass,
        best first. The candidates are materialised first so that each is looked up by primary
        key: otherwise SQLite walks the reader's whole agent index to check a few dozen ids."""
        return (
            select(candidates.c.item_id)
            .join(MemoryItem, MemoryItem.id == candidates.c.item_id)
            .where(self.where())
            .order_by(candidates.c.distance, candidates.c.item_id)
            .limit(limit)
        )

    def items(self, item_ids: Sequence[str]) -> Select[MemoryItem]:
        """The items among `item_ids` that pass, looked up by primary key (see `keep`)."""
        return self.among(item_ids, select(MemoryItem))

    def among(self, item_ids: Sequence[str], query: Select[*Row]) -> Select[*Row]:
        """`query` (of `memory_items` columns) limited to the rows among `item_ids` that
        pass, each looked up by primary key (see `keep`)."""
        chosen = (
            select(MemoryItem.id.label("item_id"))
            .where(MemoryItem.id.in_(item_ids))
            .cte("chosen")
            .prefix_with("MATERIALIZED")
        )
        return query.join(chosen, chosen.c.item_id == MemoryItem.id).where(self.where())
