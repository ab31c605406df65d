"""Core memory blocks of an agent: list, create, edit, delete and their history."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.routes.memory_changes import ChangePublic
from nexora.memory.blocks import LABEL
from nexora.storage.models import MemoryBlock

router = APIRouter(prefix="/api/memory/blocks", tags=["memory"])

MAX_BLOCK_CHARS = 20_000  # the largest limit an agent's config allows


class BlockCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=64, pattern=LABEL.pattern)
    value: str = Field(default="", max_length=MAX_BLOCK_CHARS)
    description: str | None = Field(default=None, max_length=500)
    char_limit: int | None = Field(default=None, ge=100, le=MAX_BLOCK_CHARS)
    private: bool = Field(default=False, description="Only for the caller's own conversations.")


class BlockUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str | None = Field(default=None, max_length=MAX_BLOCK_CHARS)
    description: str | None = Field(default=None, max_length=500)


class BlockPublic(BaseModel):
    id: str
    agent_id: str
    user_id: str | None
    label: str
    value: str
    description: str
    char_limit: int
    chars: int
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, block: MemoryBlock) -> BlockPublic:
        return cls(
            id=block.id,
            agent_id=block.agent_id,
            user_id=block.user_id,
            label=block.label,
            value=block.value,
            description=block.description,
            char_limit=block.char_limit,
            chars=len(block.value),
            version=block.version,
            created_at=block.created_at,
            updated_at=block.updated_at,
        )


@router.get("", operation_id="listMemoryBlocks")
async def list_blocks(
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    agent_id: str = Query(min_length=1, max_length=100),
    user_id: str | None = Query(default=None, max_length=36, description="Admins: one user's."),
) -> list[BlockPublic]:
    blocks = await platform.memory_access.blocks.of_agent(db, actor, agent_id, user_id=user_id)
    return [BlockPublic.of(b) for b in blocks]


@router.post("", status_code=201, operation_id="createMemoryBlock")
async def create_block(
    body: BlockCreate, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> BlockPublic:
    block = await platform.memory_access.blocks.create(
        db,
        actor,
        body.agent_id,
        body.label,
        value=body.value,
        description=body.description,
        char_limit=body.char_limit,
        private=body.private,
        request=info,
    )
    return BlockPublic.of(block)


@router.get("/{block_id}", operation_id="getMemoryBlock")
async def get_block(
    block_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> BlockPublic:
    return BlockPublic.of(await platform.memory_access.blocks.get(db, actor, block_id))


@router.patch("/{block_id}", operation_id="updateMemoryBlock")
async def update_block(
    block_id: str,
    body: BlockUpdate,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> BlockPublic:
    block = await platform.memory_access.blocks.edit(
        db, actor, block_id, value=body.value, description=body.description, request=info
    )
    return BlockPublic.of(block)


@router.delete("/{block_id}", status_code=204, operation_id="deleteMemoryBlock")
async def delete_block(
    block_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    await platform.memory_access.blocks.delete(db, actor, block_id, info)
    return Response(status_code=204)


@router.get("/{block_id}/history", operation_id="memoryBlockHistory")
async def block_history(
    block_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[ChangePublic]:
    changes = await platform.memory_access.blocks.history(db, actor, block_id)
    return [ChangePublic.of(c) for c in changes]
