"""Agent grants: which users may see and use which agents of their org."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, NotFound
from nexora.storage.models import AgentGrant, AgentRecord, Membership


async def create_grant(db: AsyncSession, actor: Actor, user_id: str, agent_id: str) -> AgentGrant:
    member = await db.scalar(
        select(Membership).where(Membership.user_id == user_id, Membership.org_id == actor.org_id)
    )
    if member is None:
        raise NotFound("user not found")
    agent = await db.get(AgentRecord, agent_id)
    if agent is None or agent.org_id != actor.org_id:
        raise NotFound("agent not found")
    grant = AgentGrant(
        org_id=actor.org_id, user_id=user_id, agent_id=agent_id, created_by=actor.user_id
    )
    db.add(grant)
    try:
        await db.commit()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict("this user already has a grant for this agent") from exc
    return grant


async def list_grants(
    db: AsyncSession, actor: Actor, user_id: str | None, agent_id: str | None
) -> list[AgentGrant]:
    query = select(AgentGrant).where(AgentGrant.org_id == actor.org_id)
    if user_id is not None:
        query = query.where(AgentGrant.user_id == user_id)
    if agent_id is not None:
        query = query.where(AgentGrant.agent_id == agent_id)
    return list(await db.scalars(query.order_by(AgentGrant.created_at)))


async def delete_grant(db: AsyncSession, actor: Actor, grant_id: str) -> AgentGrant:
    grant = await db.get(AgentGrant, grant_id)
    if grant is None or grant.org_id != actor.org_id:
        raise NotFound("grant not found")
    await db.delete(grant)
    await db.commit()
    return grant
