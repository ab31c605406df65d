"""The chat models usable in the caller's org."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from nexora.api.deps import CurrentActor, DbSession, PlatformDep

router = APIRouter(prefix="/api/models", tags=["models"])


class ModelPublic(BaseModel):
    id: str
    provider: str
    model: str
    source: Literal["org", "env", "local"]
    is_default: bool


@router.get("", operation_id="listModels")
async def list_models(
    actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[ModelPublic]:
    """Configured providers' models, the environment's, and models of detected local servers."""
    found = await platform.models.list_models(db, actor.org_id)
    return [ModelPublic.model_validate(m, from_attributes=True) for m in found]
