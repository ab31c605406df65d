"""A team for a dispatch: the group whose members are exactly the chosen agents in their roles
when one exists, else a new one with the first chosen agent as its lead."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.storage.base import new_id
from nexora.storage.models import Group, GroupMember
from nexora.teams.groups import GroupSpec, MemberSpec, add_group
from nexora.teams.selection import Assignment


async def team_for(
    db: AsyncSession, actor: Actor, assignments: list[Assignment], purpose: str
) -> tuple[Group, bool]:
    """The group and whether it was reused."""
    wanted: dict[str, str | None] = {}
    for assignment in assignments:  # an agent chosen for two roles is one member
        wanted.setdefault(assignment.agent_id, assignment.role_id)
    lead = assignments[0].agent_id
    rows = await db.execute(
        select(GroupMember.group_id, GroupMember.agent_id, GroupMember.role_id, GroupMember.is_lead)
        .join(Group, Group.id == GroupMember.group_id)
        .where(Group.org_id == actor.org_id)
    )
    groups: dict[str, dict[str, tuple[str | None, bool]]] = {}
    for group_id, agent_id, role_id, is_lead in rows:
        groups.setdefault(group_id, {})[agent_id] = (role_id, is_lead)
    for group_id, members in groups.items():
        same = {agent: role for agent, (role, _) in members.items()} == wanted
        if same and members[lead][1]:
            group = await db.get(Group, group_id)
            assert group is not None
            return group, True
    spec = GroupSpec(
        name=f"dispatch-{new_id()[:8]}",
        description=purpose[:500],
        default_mode="serial",
        members=[
            MemberSpec(agent_id=agent_id, role=role_id, is_lead=agent_id == lead, position=position)
            for position, (agent_id, role_id) in enumerate(wanted.items())
        ],
    )
    return await add_group(db, actor, spec), False
