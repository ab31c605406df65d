"""Teams written straight to the database (the groups API is not what these tests are about)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.storage.base import new_id
from nexora.storage.models import Group, GroupGrant, GroupMember, Role
from tests.support.db import query


def add_role(
    url: str,
    org_id: str,
    name: str,
    instructions: str = "",
    tool_rules: dict[str, Any] | None = None,
) -> str:
    role_id = new_id()

    async def write(session: AsyncSession) -> None:
        session.add(
            Role(
                id=role_id,
                org_id=org_id,
                name=name,
                instructions=instructions,
                tool_rules=tool_rules or {},
                capabilities=[],
            )
        )
        await session.commit()

    query(url, write)
    return role_id


def add_team(
    url: str,
    org_id: str,
    name: str,
    *,
    lead: str | None,
    members: list[tuple[str, str | None]],
    default_mode: str = "serial",
) -> str:
    """A group: `lead` (an agent id) and `members` ((agent id, role id) in position order)."""
    group_id = new_id()

    async def write(session: AsyncSession) -> None:
        session.add(Group(id=group_id, org_id=org_id, name=name, default_mode=default_mode))
        await session.flush()
        if lead is not None:
            session.add(GroupMember(org_id=org_id, group_id=group_id, agent_id=lead, is_lead=True))
        for position, (agent_id, role_id) in enumerate(members, 1):
            session.add(
                GroupMember(
                    org_id=org_id,
                    group_id=group_id,
                    agent_id=agent_id,
                    role_id=role_id,
                    position=position,
                )
            )
        await session.commit()

    query(url, write)
    return group_id


def grant_group(url: str, org_id: str, user_id: str, group_id: str) -> None:
    async def write(session: AsyncSession) -> None:
        session.add(GroupGrant(org_id=org_id, user_id=user_id, group_id=group_id))
        await session.commit()

    query(url, write)
