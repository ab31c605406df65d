from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from nexora.api.deps import AdminActor, DbSession, PlatformDep, RequestInfo
from nexora.governance import grants
from nexora.storage.models import AgentGrant

router = APIRouter(prefix="/api/admin/grants", tags=["grants"])


class GrantCreate(BaseModel):
    user_id: str = Field(min_length=1, max_length=36)
    agent_id: str = Field(min_length=1, max_length=36)


class GrantPublic(BaseModel):
    id: str
    user_id: str
    agent_id: str
    created_by: str | None
    created_at: datetime

    @classmethod
    def of(cls, grant: AgentGrant) -> GrantPublic:
        return cls.model_validate(grant, from_attributes=True)


@router.post("", status_code=201, operation_id="createGrant")
async def create_grant(
    body: GrantCreate, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> GrantPublic:
    grant = await grants.create_grant(db, actor, body.user_id, body.agent_id)
    platform.audit.record(
        "agent.grant",
        actor=actor,
        resource_type="agent",
        resource_id=body.agent_id,
        request=info,
        detail={"user_id": body.user_id, "grant_id": grant.id},
    )
    return GrantPublic.of(grant)


@router.get("", operation_id="listGrants")
async def list_grants(
    actor: AdminActor,
    db: DbSession,
    user_id: str | None = Query(default=None, max_length=36),
    agent_id: str | None = Query(default=None, max_length=36),
) -> list[GrantPublic]:
    return [GrantPublic.of(g) for g in await grants.list_grants(db, actor, user_id, agent_id)]


@router.delete("/{grant_id}", status_code=204, operation_id="deleteGrant")
async def delete_grant(
    grant_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    grant = await grants.delete_grant(db, actor, grant_id)
    platform.audit.record(
        "agent.revoke",
        actor=actor,
        resource_type="agent",
        resource_id=grant.agent_id,
        request=info,
        detail={"user_id": grant.user_id, "grant_id": grant.id},
    )
    return Response(status_code=204)
