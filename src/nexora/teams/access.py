"""Who may see and use a team: the one place that decides it.

Admins see every group of their org. Anyone else sees a group they were granted, or one whose
every member agent they were granted: a team must not reach agents its caller cannot.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Forbidden, NotFound
from nexora.storage.models import AgentGrant, Group, GroupGrant, GroupMember


def usable_by(actor: Actor) -> ColumnElement[bool]:
    """The groups an actor may use: the filter for listings and the check for single groups."""
    in_org = Group.org_id == actor.org_id
    if actor.is_admin:
        return in_org
    granted = exists().where(GroupGrant.group_id == Group.id, GroupGrant.user_id == actor.user_id)
    ungranted_member = exists().where(
        GroupMember.group_id == Group.id,
        not_(
            exists().where(
                AgentGrant.agent_id == GroupMember.agent_id,
                AgentGrant.user_id == actor.user_id,
            )
        ),
    )
    has_members = exists().where(GroupMember.group_id == Group.id)
    return and_(in_org, granted | (has_members & not_(ungranted_member)))


async def group_named(session: AsyncSession, org_id: str, id_or_name: str) -> Group | None:
    """A group of the org by id or by name, with no access check (callers make it)."""
    group: Group | None = await session.scalar(
        select(Group).where(
            Group.org_id == org_id, (Group.id == id_or_name) | (Group.name == id_or_name)
        )
    )
    return group


async def get_group(session: AsyncSession, actor: Actor, group_id: str) -> Group:
    """A group of the actor's org: 404 when it is another org's or missing, 403 when the
    actor may not use it."""
    group = await session.get(Group, group_id)
    if group is None or group.org_id != actor.org_id:
        raise NotFound("group not found")
    if not actor.is_admin:
        usable = await session.scalar(
            select(Group.id).where(Group.id == group_id, usable_by(actor))
        )
        if usable is None:
            raise Forbidden("you have no grant for this team or for all of its agents")
    return group


async def members_of(session: AsyncSession, group_id: str) -> list[GroupMember]:
    """Members in the order serial runs visit them (the lead wherever it sits)."""
    rows = await session.scalars(
        select(GroupMember)
        .where(GroupMember.group_id == group_id)
        .order_by(GroupMember.position, GroupMember.created_at)
    )
    return list(rows)


async def group_ids_of_agent(session: AsyncSession, org_id: str, agent_id: str) -> tuple[str, ...]:
    """The teams an agent belongs to: whose blackboards its memory searches may read."""
    rows = await session.scalars(
        select(GroupMember.group_id).where(
            GroupMember.org_id == org_id, GroupMember.agent_id == agent_id
        )
    )
    return tuple(rows)
