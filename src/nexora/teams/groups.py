"""Groups (teams) and their members: an agent of the org with a role, at most one the lead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, InvalidInput, NotFound
from nexora.storage.models import AgentRecord, Group, GroupMember, MemoryItem, Project, Role, Run
from nexora.teams.access import get_group, members_of, usable_by
from nexora.teams.batch import delete_each
from nexora.teams.roles import find_role

GroupName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\w[\w .-]*$")]
MAX_MEMBERS = 50


class MemberSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(min_length=1, max_length=64, description="An agent's id or name.")
    role: str | None = Field(default=None, max_length=64, description="A role's id or name.")
    is_lead: bool = False
    position: int | None = Field(default=None, ge=0, le=10_000)


class MemberPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None = Field(default=None, max_length=64)
    is_lead: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)


class GroupSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: GroupName
    description: str = Field(default="", max_length=2000)
    default_mode: Literal["serial", "parallel"] = "serial"
    project_id: str | None = Field(default=None, max_length=36)
    members: list[MemberSpec] = Field(default_factory=list, max_length=MAX_MEMBERS)


class GroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: GroupName | None = None
    description: str | None = Field(default=None, max_length=2000)
    default_mode: Literal["serial", "parallel"] | None = None


@dataclass(frozen=True, slots=True)
class MemberView:
    member: GroupMember
    agent_name: str
    role_name: str | None


@dataclass(frozen=True, slots=True)
class GroupStats:
    members: int
    runs_by_status: dict[str, int]
    blackboard_entries: int
    last_run_at: datetime | None


async def list_groups(
    db: AsyncSession, actor: Actor, limit: int, offset: int
) -> tuple[list[Group], int]:
    total = await db.scalar(select(func.count()).select_from(Group).where(usable_by(actor)))
    rows = await db.scalars(
        select(Group).where(usable_by(actor)).order_by(Group.name).limit(limit).offset(offset)
    )
    return list(rows), total or 0


async def create_group(db: AsyncSession, actor: Actor, spec: GroupSpec) -> Group:
    group = await add_group(db, actor, spec)
    await _commit_members(db)
    return group


async def add_group(db: AsyncSession, actor: Actor, spec: GroupSpec) -> Group:
    """The group and its members, in the caller's transaction (templates and dispatch add
    more before they commit)."""
    if spec.project_id is not None:
        project = await db.get(Project, spec.project_id)
        if project is None or project.org_id != actor.org_id:
            raise NotFound("project not found")
    if sum(m.is_lead for m in spec.members) > 1:
        raise InvalidInput("members: at most one lead")
    group = Group(
        org_id=actor.org_id,
        project_id=spec.project_id,
        name=spec.name,
        description=spec.description,
        default_mode=spec.default_mode,
        created_by=actor.author_id,
    )
    db.add(group)
    await _flush_named(db, spec.name)
    for index, member in enumerate(spec.members):
        await add_member_row(db, actor, group, member, default_position=index)
    return group


async def update_group(db: AsyncSession, actor: Actor, group_id: str, patch: GroupPatch) -> Group:
    group = await get_group(db, actor, group_id)
    if patch.name is not None:
        group.name = patch.name
    if patch.description is not None:
        group.description = patch.description
    if patch.default_mode is not None:
        group.default_mode = patch.default_mode
    await _flush_named(db, group.name)
    await db.commit()
    return group


async def delete_group(db: AsyncSession, actor: Actor, group_id: str) -> Group:
    group = await get_group(db, actor, group_id)
    await db.delete(group)
    await db.commit()
    return group


async def batch_delete_groups(
    db: AsyncSession, actor: Actor, group_ids: Sequence[str]
) -> dict[str, str]:
    """Each id's outcome: "deleted" or "not_found" (another org's id included)."""
    return await delete_each(db, actor, Group, group_ids)


async def member_views(db: AsyncSession, group_id: str) -> list[MemberView]:
    members = await members_of(db, group_id)
    agents = dict(
        (
            await db.execute(
                select(AgentRecord.id, AgentRecord.name).where(
                    AgentRecord.id.in_([m.agent_id for m in members])
                )
            )
        ).all()
    )
    role_ids = [m.role_id for m in members if m.role_id]
    roles = dict((await db.execute(select(Role.id, Role.name).where(Role.id.in_(role_ids)))).all())
    return [
        MemberView(m, agents.get(m.agent_id, m.agent_id), roles.get(m.role_id or ""))
        for m in members
    ]


async def add_member(
    db: AsyncSession, actor: Actor, group_id: str, spec: MemberSpec
) -> GroupMember:
    group = await get_group(db, actor, group_id)
    member = await add_member_row(db, actor, group, spec)
    await _commit_members(db)
    return member


async def update_member(
    db: AsyncSession, actor: Actor, group_id: str, member_id: str, patch: MemberPatch
) -> GroupMember:
    group = await get_group(db, actor, group_id)
    member = await _member(db, group, member_id)
    if patch.role is not None:
        member.role_id = (await find_role(db, actor, patch.role)).id if patch.role else None
    if patch.position is not None:
        member.position = patch.position
    if patch.is_lead is not None:
        await _set_lead(db, member, patch.is_lead)
    await _commit_members(db)
    return member


async def remove_member(
    db: AsyncSession, actor: Actor, group_id: str, member_id: str
) -> GroupMember:
    group = await get_group(db, actor, group_id)
    member = await _member(db, group, member_id)
    await db.delete(member)
    await db.commit()
    return member


async def group_stats(db: AsyncSession, actor: Actor, group_id: str) -> GroupStats:
    group = await get_group(db, actor, group_id)
    members = await db.scalar(
        select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group.id)
    )
    by_status = dict(
        (
            await db.execute(
                select(Run.status, func.count())
                .where(Run.group_id == group.id)
                .group_by(Run.status)
            )
        ).all()
    )
    entries = await db.scalar(
        select(func.count())
        .select_from(MemoryItem)
        .where(MemoryItem.group_id == group.id, MemoryItem.status == "active")
    )
    last = await db.scalar(select(func.max(Run.created_at)).where(Run.group_id == group.id))
    return GroupStats(members or 0, by_status, entries or 0, last)


async def add_member_row(
    db: AsyncSession,
    actor: Actor,
    group: Group,
    spec: MemberSpec,
    default_position: int | None = None,
) -> GroupMember:
    """One member, flushed in the caller's transaction; making it the lead unmakes the other."""
    agent = await db.scalar(
        select(AgentRecord).where(
            AgentRecord.org_id == actor.org_id,
            (AgentRecord.id == spec.agent_id) | (AgentRecord.name == spec.agent_id),
        )
    )
    if agent is None:
        raise NotFound(f"agent {spec.agent_id!r} not found")
    role = await find_role(db, actor, spec.role) if spec.role else None
    count = await db.scalar(
        select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group.id)
    )
    if (count or 0) >= MAX_MEMBERS:
        raise InvalidInput(f"a team has at most {MAX_MEMBERS} members")
    position = spec.position if spec.position is not None else default_position
    member = GroupMember(
        org_id=actor.org_id,
        group_id=group.id,
        agent_id=agent.id,
        role_id=role.id if role else None,
        is_lead=False,
        position=position if position is not None else (count or 0),
    )
    db.add(member)
    name = agent.name  # a rollback expires it
    try:
        await db.flush()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict(f"agent {name!r} is already a member of the team") from exc
    if spec.is_lead:
        await _set_lead(db, member, True)
    return member


async def _set_lead(db: AsyncSession, member: GroupMember, lead: bool) -> None:
    """Making a member the lead unmakes the previous one, in the same transaction."""
    if lead:
        await db.execute(
            update(GroupMember)
            .where(GroupMember.group_id == member.group_id, GroupMember.id != member.id)
            .values(is_lead=False)
            .execution_options(synchronize_session="fetch")
        )
    member.is_lead = lead


async def _member(db: AsyncSession, group: Group, member_id: str) -> GroupMember:
    member = await db.get(GroupMember, member_id)
    if member is None or member.group_id != group.id:
        raise NotFound("member not found")
    return member


async def _flush_named(db: AsyncSession, name: str) -> None:
    try:
        await db.flush()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict(f"a team named {name!r} already exists") from exc


async def _commit_members(db: AsyncSession) -> None:
    try:
        await db.commit()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict("this agent is already a member of the team") from exc
