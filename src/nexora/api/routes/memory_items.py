"""Episodic and archival items of an agent (list with filters, create, edit, retire, restore,
delete, history), the quick archival insert, and search across the three layers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.routes.memory_changes import ChangePublic, OriginName
from nexora.auth.actor import Actor
from nexora.governance.audit import RequestContext
from nexora.memory.item_access import ItemFilter
from nexora.memory.items import MAX_ITEM_CHARS, NewItem
from nexora.memory.recall import MAX_LIMIT, SearchLayer
from nexora.platform import Platform
from nexora.storage.models import MemoryItem

router = APIRouter(prefix="/api/memory", tags=["memory"])

LayerName = Literal["episodic", "archival"]
PRIVATE = Field(default=False, description="Only for the caller's own conversations.")


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(min_length=1, max_length=100)
    layer: LayerName
    kind: str = Field(min_length=1, max_length=16)
    text: str = Field(min_length=1, max_length=MAX_ITEM_CHARS)
    source: str | None = Field(default=None, max_length=1000)
    occurred_at: datetime | None = None
    private: bool = PRIVATE


class ArchivalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=MAX_ITEM_CHARS)
    source: str | None = Field(default=None, max_length=1000)
    private: bool = PRIVATE


class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_ITEM_CHARS)


class RetireBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(min_length=1, max_length=100)
    query: str = Field(min_length=1, max_length=2000)
    layers: list[SearchLayer] | None = Field(default=None, max_length=3)
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)


class ItemPublic(BaseModel):
    id: str
    agent_id: str | None
    user_id: str | None
    layer: str
    kind: str
    text: str
    source: str | None
    position: int | None
    meta: dict[str, Any]
    status: str
    superseded_by: str | None
    origin: str
    created_by: str | None
    run_id: str | None
    session_id: str | None
    occurred_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, item: MemoryItem) -> ItemPublic:
        return cls.model_validate(item, from_attributes=True)


class ItemCreated(ItemPublic):
    created: bool  # false: the same text was already remembered there, this is that item


class ItemPage(BaseModel):
    items: list[ItemPublic]
    total: int
    page: int
    limit: int


class SearchHit(BaseModel):
    id: str
    layer: str
    kind: str
    text: str
    score: float
    source: str | None
    user_id: str | None
    created_at: datetime
    lexical_rank: int | None
    vector_rank: int | None


class SearchResult(BaseModel):
    items: list[SearchHit]
    embedder: str | None  # None: full-text search only


@router.get("/items", operation_id="listMemoryItems")
async def list_items(
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    agent_id: str = Query(min_length=1, max_length=100),
    layer: LayerName | None = None,
    kind: str | None = Query(default=None, max_length=16),
    status: Literal["active", "retired", "all"] = "active",
    user_id: str | None = Query(default=None, max_length=36, description="Admins: one user's."),
    origin: OriginName | None = None,
    source: str | None = Query(default=None, max_length=1000),
    since: datetime | None = Query(default=None, description="Occurred at or after (UTC)."),
    until: datetime | None = Query(default=None, description="Occurred before (UTC)."),
    q: str | None = Query(default=None, max_length=500, description="Text contains this."),
    page: int = Query(default=1, ge=1, le=100_000),
    limit: int = Query(default=50, ge=1, le=200),
) -> ItemPage:
    which = ItemFilter(
        layer=layer,
        kind=kind,
        status=None if status == "all" else status,
        user_id=user_id,
        origin=origin,
        source=source,
        since=since,
        until=until,
        text=q,
        offset=(page - 1) * limit,
        limit=limit,
    )
    items, total = await platform.memory_access.items.page(db, actor, agent_id, which)
    return ItemPage(items=[ItemPublic.of(i) for i in items], total=total, page=page, limit=limit)


@router.post("/items", status_code=201, operation_id="createMemoryItem")
async def create_item(
    body: ItemCreate,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
    response: Response,
) -> ItemCreated:
    new = NewItem(
        body.layer, body.kind, body.text, source=body.source, occurred_at=body.occurred_at
    )
    return await _add(platform, db, actor, body.agent_id, new, body.private, info, response)


@router.post("/archival", status_code=201, operation_id="createArchivalItem")
async def create_archival(
    body: ArchivalCreate,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
    response: Response,
) -> ItemCreated:
    new = NewItem("archival", "note", body.text, source=body.source)
    return await _add(platform, db, actor, body.agent_id, new, body.private, info, response)


async def _add(
    platform: Platform,
    db: AsyncSession,
    actor: Actor,
    agent_id: str,
    new: NewItem,
    private: bool,
    info: RequestContext,
    response: Response,
) -> ItemCreated:
    added = await platform.memory_access.items.add(
        db, actor, agent_id, new, private=private, request=info
    )
    if not added.created:
        response.status_code = 200
    return ItemCreated(**ItemPublic.of(added.item).model_dump(), created=added.created)


@router.get("/items/{item_id}", operation_id="getMemoryItem")
async def get_item(
    item_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> ItemPublic:
    return ItemPublic.of(await platform.memory_access.items.get(db, actor, item_id))


@router.patch("/items/{item_id}", operation_id="updateMemoryItem")
async def update_item(
    item_id: str,
    body: ItemUpdate,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> ItemPublic:
    item = await platform.memory_access.items.edit(db, actor, item_id, body.text, info)
    return ItemPublic.of(item)


@router.post("/items/{item_id}/retire", operation_id="retireMemoryItem")
async def retire_item(
    item_id: str,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
    body: RetireBody | None = None,
) -> ItemPublic:
    reason = body.reason if body else None
    item = await platform.memory_access.items.retire(db, actor, item_id, reason, info)
    return ItemPublic.of(item)


@router.post("/items/{item_id}/restore", operation_id="restoreMemoryItem")
async def restore_item(
    item_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> ItemPublic:
    return ItemPublic.of(await platform.memory_access.items.restore(db, actor, item_id, info))


@router.delete("/items/{item_id}", status_code=204, operation_id="deleteMemoryItem")
async def delete_item(
    item_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    await platform.memory_access.items.delete(db, actor, item_id, info)
    return Response(status_code=204)


@router.get("/items/{item_id}/history", operation_id="memoryItemHistory")
async def item_history(
    item_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[ChangePublic]:
    changes = await platform.memory_access.items.history(db, actor, item_id)
    return [ChangePublic.of(c) for c in changes]


@router.post("/search", operation_id="searchMemory")
async def search_memory(
    body: SearchBody, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> SearchResult:
    found = await platform.memory_access.items.search(
        db, actor, body.agent_id, body.query, layers=body.layers, limit=body.limit
    )
    return SearchResult(
        items=[
            SearchHit(
                id=hit.id,
                layer=hit.layer,
                kind=hit.kind,
                text=hit.text,
                score=hit.score,
                source=hit.source,
                user_id=hit.user_id,
                created_at=hit.created_at,
                lexical_rank=hit.lexical_rank,
                vector_rank=hit.vector_rank,
            )
            for hit in found
        ],
        embedder=platform.memory.embedder_name,
    )
