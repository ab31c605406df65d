"""Teams (groups): create and edit them, their members (an agent with a role, one the lead) and
who may use them. Tenancy and grants are decided by `nexora.teams.access`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.api.deps import AdminActor, CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.routes.roles import BatchDelete, BatchOutcome
from nexora.storage.models import Group, GroupGrant
from nexora.teams import group_grants, groups
from nexora.teams.access import get_group

router = APIRouter(prefix="/api/groups", tags=["teams"])


class MemberPublic(BaseModel):
    id: str
    agent_id: str
    agent: str
    role_id: str | None
    role: str | None
    is_lead: bool
    position: int
    created_at: datetime

    @classmethod
    def of(cls, view: groups.MemberView) -> MemberPublic:
        m = view.member
        return cls(
            id=m.id,
            agent_id=m.agent_id,
            agent=view.agent_name,
            role_id=m.role_id,
            role=view.role_name,
            is_lead=m.is_lead,
            position=m.position,
            created_at=m.created_at,
        )


class GroupPublic(BaseModel):
    id: str
    name: str
    description: str
    default_mode: str
    project_id: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class GroupDetail(GroupPublic):
    members: list[MemberPublic]
    lead: MemberPublic | None


class GroupPage(BaseModel):
    items: list[GroupPublic]
    total: int


class GroupStatsPublic(BaseModel):
    members: int
    runs_by_status: dict[str, int]
    blackboard_entries: int
    last_run_at: datetime | None


class GrantCreate(BaseModel):
    user_id: str = Field(min_length=1, max_length=36)


class GroupGrantPublic(BaseModel):
    id: str
    user_id: str
    group_id: str
    created_by: str | None
    created_at: datetime

    @classmethod
    def of(cls, grant: GroupGrant) -> GroupGrantPublic:
        return cls.model_validate(grant, from_attributes=True)


def _public(group: Group) -> GroupPublic:
    return GroupPublic.model_validate(group, from_attributes=True)


async def _detail(db: AsyncSession, group: Group) -> GroupDetail:
    members = [MemberPublic.of(v) for v in await groups.member_views(db, group.id)]
    lead = next((m for m in members if m.is_lead), None)
    return GroupDetail(**_public(group).model_dump(), members=members, lead=lead)


def _audit(platform: Any, action: str, actor: Any, group_id: str, info: Any, **detail: Any) -> None:
    platform.audit.record(
        action,
        actor=actor,
        resource_type="group",
        resource_id=group_id,
        request=info,
        detail=detail,
    )


@router.post("", status_code=201, operation_id="createGroup")
async def create_group(
    body: groups.GroupSpec,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> GroupDetail:
    group = await groups.create_group(db, actor, body)
    _audit(platform, "team.group.create", actor, group.id, info, name=group.name)
    return await _detail(db, group)


@router.get("", operation_id="listGroups")
async def list_groups(
    actor: CurrentActor,
    db: DbSession,
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0),
) -> GroupPage:
    """The teams the caller may use (admins: every team of the org)."""
    rows, total = await groups.list_groups(db, actor, limit, offset)
    return GroupPage(items=[_public(g) for g in rows], total=total)


@router.post("/batch-delete", operation_id="batchDeleteGroups")
async def batch_delete_groups(
    body: BatchDelete, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> BatchOutcome:
    results = await groups.batch_delete_groups(db, actor, body.ids)
    for group_id, outcome in results.items():
        if outcome == "deleted":
            _audit(platform, "team.group.delete", actor, group_id, info)
    return BatchOutcome(results=results)


@router.get("/{group_id}", operation_id="getGroup")
async def get_group_detail(group_id: str, actor: CurrentActor, db: DbSession) -> GroupDetail:
    return await _detail(db, await get_group(db, actor, group_id))


@router.put("/{group_id}", operation_id="updateGroup")
async def update_group(
    group_id: str,
    body: groups.GroupPatch,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> GroupDetail:
    group = await groups.update_group(db, actor, group_id, body)
    _audit(
        platform, "team.group.update", actor, group.id, info, fields=sorted(body.model_fields_set)
    )
    return await _detail(db, group)


@router.delete("/{group_id}", status_code=204, operation_id="deleteGroup")
async def delete_group(
    group_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    group = await groups.delete_group(db, actor, group_id)
    _audit(platform, "team.group.delete", actor, group.id, info, name=group.name)
    return Response(status_code=204)


@router.get("/{group_id}/stats", operation_id="groupStats")
async def group_stats(group_id: str, actor: CurrentActor, db: DbSession) -> GroupStatsPublic:
    stats = await groups.group_stats(db, actor, group_id)
    return GroupStatsPublic(
        members=stats.members,
        runs_by_status=stats.runs_by_status,
        blackboard_entries=stats.blackboard_entries,
        last_run_at=stats.last_run_at,
    )


@router.post("/{group_id}/members", status_code=201, operation_id="addGroupMember")
async def add_member(
    group_id: str,
    body: groups.MemberSpec,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> MemberPublic:
    member = await groups.add_member(db, actor, group_id, body)
    _audit(
        platform,
        "team.member.add",
        actor,
        group_id,
        info,
        member_id=member.id,
        agent_id=member.agent_id,
        is_lead=member.is_lead,
    )
    return await _member_public(db, group_id, member.id)


@router.get("/{group_id}/members", operation_id="listGroupMembers")
async def list_members(group_id: str, actor: CurrentActor, db: DbSession) -> list[MemberPublic]:
    group = await get_group(db, actor, group_id)
    return [MemberPublic.of(v) for v in await groups.member_views(db, group.id)]


@router.put("/{group_id}/members/{member_id}", operation_id="updateGroupMember")
async def update_member(
    group_id: str,
    member_id: str,
    body: groups.MemberPatch,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> MemberPublic:
    member = await groups.update_member(db, actor, group_id, member_id, body)
    _audit(
        platform,
        "team.member.update",
        actor,
        group_id,
        info,
        member_id=member.id,
        fields=sorted(body.model_fields_set),
    )
    return await _member_public(db, group_id, member.id)


@router.delete("/{group_id}/members/{member_id}", status_code=204, operation_id="removeGroupMember")
async def remove_member(
    group_id: str,
    member_id: str,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> Response:
    member = await groups.remove_member(db, actor, group_id, member_id)
    _audit(
        platform,
        "team.member.remove",
        actor,
        group_id,
        info,
        member_id=member.id,
        agent_id=member.agent_id,
    )
    return Response(status_code=204)


@router.post("/{group_id}/grants", status_code=201, operation_id="createGroupGrant")
async def create_grant(
    group_id: str,
    body: GrantCreate,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> GroupGrantPublic:
    grant = await group_grants.grant_group(db, actor, group_id, body.user_id)
    _audit(platform, "team.grant", actor, group_id, info, user_id=body.user_id, grant_id=grant.id)
    return GroupGrantPublic.of(grant)


@router.get("/{group_id}/grants", operation_id="listGroupGrants")
async def list_grants(group_id: str, actor: AdminActor, db: DbSession) -> list[GroupGrantPublic]:
    return [GroupGrantPublic.of(g) for g in await group_grants.group_grants(db, actor, group_id)]


@router.delete("/{group_id}/grants/{grant_id}", status_code=204, operation_id="deleteGroupGrant")
async def delete_grant(
    group_id: str,
    grant_id: str,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> Response:
    grant = await group_grants.revoke_group_grant(db, actor, group_id, grant_id)
    _audit(
        platform,
        "team.grant.revoke",
        actor,
        group_id,
        info,
        user_id=grant.user_id,
        grant_id=grant.id,
    )
    return Response(status_code=204)


async def _member_public(db: AsyncSession, group_id: str, member_id: str) -> MemberPublic:
    views = await groups.member_views(db, group_id)
    return MemberPublic.of(next(v for v in views if v.member.id == member_id))
