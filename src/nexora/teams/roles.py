"""Roles: what a member does in a team — instructions added to its prompt, its own tool rules
(which only narrow what the agent may do) and the capabilities dispatch matches on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, NotFound
from nexora.storage.models import GroupMember, Role, Run
from nexora.teams.batch import delete_each
from nexora.tools.policy import RoleRules

# What an agent in the role can be asked for: "frontend", "qa", "code_review".
Capability = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
RoleName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\w[\w .-]*$")]


class RoleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: RoleName
    description: str = Field(default="", max_length=2000)
    instructions: str = Field(default="", max_length=20_000)
    tool_rules: RoleRules = Field(default_factory=RoleRules)
    capabilities: list[Capability] = Field(default_factory=list, max_length=50)


class RolePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: RoleName | None = None
    description: str | None = Field(default=None, max_length=2000)
    instructions: str | None = Field(default=None, max_length=20_000)
    tool_rules: RoleRules | None = None
    capabilities: list[Capability] | None = Field(default=None, max_length=50)


@dataclass(frozen=True, slots=True)
class RoleStats:
    members: int
    groups: int
    team_runs: int


def _stored_rules(rules: RoleRules) -> dict[str, list[str]]:
    return {k: v for k, v in rules.model_dump().items() if v}


async def get_role(db: AsyncSession, actor: Actor, role_id: str) -> Role:
    role = await db.get(Role, role_id)
    if role is None or role.org_id != actor.org_id:
        raise NotFound("role not found")
    return role


async def role_named(db: AsyncSession, org_id: str, id_or_name: str) -> Role | None:
    """A role of the org by id or by name (members and playbooks name it either way)."""
    role: Role | None = await db.scalar(
        select(Role).where(
            Role.org_id == org_id, (Role.id == id_or_name) | (Role.name == id_or_name)
        )
    )
    return role


async def find_role(db: AsyncSession, actor: Actor, id_or_name: str) -> Role:
    role = await role_named(db, actor.org_id, id_or_name)
    if role is None:
        raise NotFound(f"role {id_or_name!r} not found")
    return role


async def list_roles(db: AsyncSession, actor: Actor) -> list[Role]:
    return list(
        await db.scalars(select(Role).where(Role.org_id == actor.org_id).order_by(Role.name))
    )


async def create_role(db: AsyncSession, actor: Actor, spec: RoleSpec) -> Role:
    role = Role(
        org_id=actor.org_id,
        name=spec.name,
        description=spec.description,
        instructions=spec.instructions,
        tool_rules=_stored_rules(spec.tool_rules),
        capabilities=list(dict.fromkeys(spec.capabilities)),
        created_by=actor.author_id,
    )
    db.add(role)
    await _commit_named(db, spec.name)
    return role


async def update_role(db: AsyncSession, actor: Actor, role_id: str, patch: RolePatch) -> Role:
    role = await get_role(db, actor, role_id)
    if patch.name is not None:
        role.name = patch.name
    if patch.description is not None:
        role.description = patch.description
    if patch.instructions is not None:
        role.instructions = patch.instructions
    if patch.tool_rules is not None:
        role.tool_rules = _stored_rules(patch.tool_rules)
    if patch.capabilities is not None:
        role.capabilities = list(dict.fromkeys(patch.capabilities))
    await _commit_named(db, role.name)
    return role


async def _commit_named(db: AsyncSession, name: str) -> None:
    try:
        await db.commit()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict(f"a role named {name!r} already exists") from exc


async def role_in_use(db: AsyncSession, role_id: str) -> int:
    used = await db.scalar(
        select(func.count()).select_from(GroupMember).where(GroupMember.role_id == role_id)
    )
    return used or 0


async def delete_role(db: AsyncSession, actor: Actor, role_id: str) -> Role:
    role = await get_role(db, actor, role_id)
    if used := await role_in_use(db, role.id):
        raise Conflict(f"role {role.name!r} is held by {used} team member(s): reassign them first")
    await db.delete(role)
    await db.commit()
    return role


async def batch_delete_roles(
    db: AsyncSession, actor: Actor, role_ids: Sequence[str]
) -> dict[str, str]:
    """Each id's outcome: "deleted", "not_found" or "in_use" (held by members)."""
    return await delete_each(db, actor, Role, role_ids, in_use=role_in_use)


async def role_stats(db: AsyncSession, actor: Actor, role_id: str) -> RoleStats:
    role = await get_role(db, actor, role_id)
    groups = select(GroupMember.group_id).where(GroupMember.role_id == role.id)
    members = await role_in_use(db, role.id)
    group_count = await db.scalar(
        select(func.count(func.distinct(GroupMember.group_id))).where(
            GroupMember.role_id == role.id
        )
    )
    runs = await db.scalar(select(func.count()).select_from(Run).where(Run.group_id.in_(groups)))
    return RoleStats(members=members, groups=group_count or 0, team_runs=runs or 0)
