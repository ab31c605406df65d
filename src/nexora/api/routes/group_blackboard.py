"""A team's blackboard: the episodic notes its members and people leave for the team, and the
outcome each team run writes. Read by whoever may use the team; searched like any memory."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.errors import NotFound
from nexora.memory.items import MAX_ITEM_CHARS, NewItem
from nexora.memory.scope import Owner, Scope
from nexora.storage.models import MemoryItem
from nexora.teams.access import get_group

router = APIRouter(prefix="/api/groups", tags=["teams"])


class EntryPublic(BaseModel):
    id: str
    kind: str
    text: str
    origin: str
    created_by: str | None
    run_id: str | None
    score: float | None = None
    created_at: datetime

    @classmethod
    def of(cls, item: MemoryItem, score: float | None = None) -> EntryPublic:
        return cls(
            id=item.id,
            kind=item.kind,
            text=item.text,
            origin=item.origin,
            created_by=item.created_by,
            run_id=item.run_id,
            score=score,
            created_at=item.created_at,
        )


class EntryPage(BaseModel):
    items: list[EntryPublic]
    total: int


class NewEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_ITEM_CHARS)
    kind: Literal["note", "fact", "lesson", "outcome"] = "note"


@router.get("/{group_id}/blackboard", operation_id="listBlackboard")
async def list_entries(
    group_id: str,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    q: str | None = Query(default=None, min_length=1, max_length=1000),
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0),
) -> EntryPage:
    """Newest first; with `q`, the best matches of a hybrid search instead."""
    group = await get_group(db, actor, group_id)
    if q is not None:
        scope = Scope(actor.org_id, None, group_ids=(group.id,))
        hits = await platform.memory.items.search(db, scope, q, limit=min(limit, 50))
        return EntryPage(items=[EntryPublic.of(h.item, h.score) for h in hits], total=len(hits))
    on_board = (
        MemoryItem.org_id == actor.org_id,
        MemoryItem.group_id == group.id,
        MemoryItem.status == "active",
    )
    total = await db.scalar(select(func.count()).select_from(MemoryItem).where(*on_board))
    rows = await db.scalars(
        select(MemoryItem)
        .where(*on_board)
        .order_by(MemoryItem.created_at.desc(), MemoryItem.id)
        .limit(limit)
        .offset(offset)
    )
    return EntryPage(items=[EntryPublic.of(i) for i in rows], total=total or 0)


@router.post("/{group_id}/blackboard", status_code=201, operation_id="writeBlackboard")
async def write_entry(
    group_id: str,
    body: NewEntry,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> EntryPublic:
    group = await get_group(db, actor, group_id)
    (added,) = await platform.memory.items.add(
        db,
        Owner(actor.org_id, group_id=group.id),
        [NewItem("episodic", body.kind, body.text)],
        origin="person",
        actor_id=actor.user_id,
    )
    await db.commit()
    platform.audit.record(
        "team.blackboard.write",
        actor=actor,
        resource_type="group",
        resource_id=group.id,
        request=info,
        detail={"item_id": added.item.id, "kind": body.kind, "created": added.created},
    )
    return EntryPublic.of(added.item)


@router.get("/{group_id}/blackboard/{memory_id}", operation_id="getBlackboardEntry")
async def get_entry(
    group_id: str, memory_id: str, actor: CurrentActor, db: DbSession
) -> EntryPublic:
    group = await get_group(db, actor, group_id)
    item = await db.get(MemoryItem, memory_id)
    if item is None or item.group_id != group.id or item.org_id != actor.org_id:
        raise NotFound("blackboard entry not found")
    return EntryPublic.of(item)
