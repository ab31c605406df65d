"""Who does each stage, and whether the caller may have them do it.

A stage names an agent (by name or id) or a role; a role is held by a member of the run's
team (the group given when starting, else the playbook's `team`), the first one in the team's
order. Starting needs the team (`teams.access.get_group`: granted it, or all its agents) or,
for an agent that is not a member of it, a grant for that agent: a playbook must not reach an
agent its caller could not run directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.registry import AgentRegistry
from nexora.auth.actor import Actor
from nexora.errors import InvalidInput
from nexora.storage.models import AgentRecord, Group, Membership, User
from nexora.teams.access import get_group, group_named, members_of
from nexora.teams.playbooks.definition import PlaybookDef
from nexora.teams.roles import role_named


@dataclass(frozen=True, slots=True)
class Assignment:
    group: Group | None
    agent_ids: list[str]  # one per stage, in stage order


async def find_agent(session: AsyncSession, org_id: str, name_or_id: str) -> AgentRecord | None:
    return await session.scalar(
        select(AgentRecord)
        .where(
            AgentRecord.org_id == org_id,
            or_(AgentRecord.id == name_or_id, AgentRecord.name == name_or_id),
        )
        .limit(1)
    )


async def find_member_user(session: AsyncSession, org_id: str, name_or_id: str) -> User | None:
    """A user of the org by username or id."""
    return await session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id, or_(User.id == name_or_id, User.username == name_or_id))
    )


async def check_references(session: AsyncSession, org_id: str, definition: PlaybookDef) -> None:
    """At save time: every team, role and agent the playbook names exists in the org."""
    if definition.owner is not None and not await find_member_user(
        session, org_id, definition.owner
    ):
        raise InvalidInput(f"owner: no user {definition.owner!r} in this organization")
    if definition.team is not None and await group_named(session, org_id, definition.team) is None:
        raise InvalidInput(f"team: no team {definition.team!r} in this organization")
    for index, stage in enumerate(definition.stages):
        if stage.role is not None and await role_named(session, org_id, stage.role) is None:
            raise InvalidInput(f"stages[{index}].role: no role {stage.role!r}")
        if stage.agent is not None and await find_agent(session, org_id, stage.agent) is None:
            raise InvalidInput(f"stages[{index}].agent: no agent {stage.agent!r}")


async def assign(
    session: AsyncSession,
    agents: AgentRegistry,
    actor: Actor,
    definition: PlaybookDef,
    group_id: str | None,
) -> Assignment:
    """The agent of every stage, checked against the actor's access (404 / 403 / 422)."""
    group: Group | None = None
    if group_id is not None:
        group = await get_group(session, actor, group_id)
    elif definition.team is not None:
        found = await group_named(session, actor.org_id, definition.team)
        if found is None:
            raise InvalidInput(f"team: no team {definition.team!r} in this organization")
        group = await get_group(session, actor, found.id)
    members = await members_of(session, group.id) if group is not None else []
    member_agents = {m.agent_id for m in members}
    agent_ids: list[str] = []
    for index, stage in enumerate(definition.stages):
        if stage.agent is not None:
            record = await find_agent(session, actor.org_id, stage.agent)
            if record is None:
                raise InvalidInput(f"stages[{index}].agent: no agent {stage.agent!r}")
            if record.id not in member_agents:
                await agents.get(session, actor, record.id)  # 403 without a grant
            agent_ids.append(record.id)
            continue
        assert stage.role is not None
        if group is None:
            raise InvalidInput(f"stages[{index}].role: a role needs a team (group_id or `team`)")
        role = await role_named(session, actor.org_id, stage.role)
        holder = next((m for m in members if role is not None and m.role_id == role.id), None)
        if holder is None:
            raise InvalidInput(
                f"stages[{index}].role: no member of team {group.name!r} holds {stage.role!r}"
            )
        agent_ids.append(holder.agent_id)
    return Assignment(group, agent_ids)
