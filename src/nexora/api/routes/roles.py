"""Team roles: instructions, tool rules and capabilities a member holds in a team."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from nexora.api.deps import AdminActor, CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.storage.models import Role
from nexora.teams import roles

router = APIRouter(prefix="/api/roles", tags=["teams"])


class RolePublic(BaseModel):
    id: str
    name: str
    description: str
    instructions: str
    tool_rules: dict[str, list[str]]
    capabilities: list[str]
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, role: Role) -> RolePublic:
        return cls.model_validate(role, from_attributes=True)


class RoleStatsPublic(BaseModel):
    members: int
    groups: int
    team_runs: int


class BatchDelete(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=200)


class BatchOutcome(BaseModel):
    results: dict[str, str]  # id → "deleted" | "not_found" | "in_use"


def _audit(platform: Any, action: str, actor: Any, role_id: str, info: Any, **detail: Any) -> None:
    platform.audit.record(
        action, actor=actor, resource_type="role", resource_id=role_id, request=info, detail=detail
    )


@router.post("", status_code=201, operation_id="createRole")
async def create_role(
    body: roles.RoleSpec,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> RolePublic:
    role = await roles.create_role(db, actor, body)
    _audit(platform, "team.role.create", actor, role.id, info, name=role.name)
    return RolePublic.of(role)


@router.get("", operation_id="listRoles")
async def list_roles(actor: CurrentActor, db: DbSession) -> list[RolePublic]:
    return [RolePublic.of(r) for r in await roles.list_roles(db, actor)]


@router.post("/batch-delete", operation_id="batchDeleteRoles")
async def batch_delete_roles(
    body: BatchDelete, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> BatchOutcome:
    results = await roles.batch_delete_roles(db, actor, body.ids)
    for role_id, outcome in results.items():
        if outcome == "deleted":
            _audit(platform, "team.role.delete", actor, role_id, info)
    return BatchOutcome(results=results)


@router.get("/{role_id}", operation_id="getRole")
async def get_role(role_id: str, actor: CurrentActor, db: DbSession) -> RolePublic:
    return RolePublic.of(await roles.get_role(db, actor, role_id))


@router.put("/{role_id}", operation_id="updateRole")
async def update_role(
    role_id: str,
    body: roles.RolePatch,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> RolePublic:
    role = await roles.update_role(db, actor, role_id, body)
    _audit(platform, "team.role.update", actor, role.id, info, fields=sorted(body.model_fields_set))
    return RolePublic.of(role)


@router.delete("/{role_id}", status_code=204, operation_id="deleteRole")
async def delete_role(
    role_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    role = await roles.delete_role(db, actor, role_id)
    _audit(platform, "team.role.delete", actor, role.id, info, name=role.name)
    return Response(status_code=204)


@router.get("/{role_id}/stats", operation_id="roleStats")
async def role_stats(role_id: str, actor: CurrentActor, db: DbSession) -> RoleStatsPublic:
    stats = await roles.role_stats(db, actor, role_id)
    return RoleStatsPublic(members=stats.members, groups=stats.groups, team_runs=stats.team_runs)
