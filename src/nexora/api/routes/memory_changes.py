"""The history of an agent's memory: every change by people, the agent's tools, the
automatic extraction and ingestion, filterable by origin, and undoing one change."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.memory.change_access import ChangeFilter
from nexora.storage.models import MemoryChange

router = APIRouter(prefix="/api/memory", tags=["memory"])

OriginName = Literal["person", "agent", "auto", "ingest"]


class ChangePublic(BaseModel):
    id: str
    target: str
    target_id: str
    agent_id: str | None
    version: int
    action: str
    before: str | None
    after: str | None
    origin: str
    actor_id: str | None
    run_id: str | None
    reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, change: MemoryChange) -> ChangePublic:
        return cls.model_validate(change, from_attributes=True)


class ChangePage(BaseModel):
    items: list[ChangePublic]
    total: int
    page: int
    limit: int


class RevertPublic(BaseModel):
    target: str
    target_id: str
    version: int
    value: str | None
    status: str


@router.get("/changes", operation_id="listMemoryChanges")
async def list_changes(
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    agent_id: str = Query(min_length=1, max_length=100),
    origin: list[OriginName] | None = Query(
        default=None,
        description="One or more (repeat it): e.g. auto and agent, what the agent wrote by itself.",
    ),
    target: Literal["item", "block"] | None = None,
    run_id: str | None = Query(default=None, max_length=36),
    since: datetime | None = Query(default=None, description="At or after; UTC if no zone."),
    page: int = Query(default=1, ge=1, le=100_000),
    limit: int = Query(default=50, ge=1, le=200),
) -> ChangePage:
    which = ChangeFilter(
        tuple(origin) if origin else None, target, run_id, since, (page - 1) * limit, limit
    )
    changes, total = await platform.memory_access.changes.feed(db, actor, agent_id, which)
    return ChangePage(
        items=[ChangePublic.of(c) for c in changes], total=total, page=page, limit=limit
    )


@router.post("/changes/{change_id}/revert", operation_id="revertMemoryChange")
async def revert_change(
    change_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> RevertPublic:
    done = await platform.memory_access.changes.revert(db, actor, change_id, info)
    return RevertPublic(
        target=done.target,
        target_id=done.target_id,
        version=done.version,
        value=done.value,
        status=done.status,
    )
