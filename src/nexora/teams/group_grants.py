"""Group grants: a user may use a team (start its runs, read its blackboard) without a grant on
each of its agents. Admins manage them; admins need none."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, NotFound
from nexora.storage.models import GroupGrant, Membership
from nexora.teams.access import get_group


async def grant_group(db: AsyncSession, actor: Actor, group_id: str, user_id: str) -> GroupGrant:
    group = await get_group(db, actor, group_id)
    member = await db.scalar(
        select(Membership.id).where(
            Membership.user_id == user_id, Membership.org_id == actor.org_id
        )
    )
    if member is None:
        raise NotFound("user not found")
    grant = GroupGrant(
        org_id=actor.org_id, user_id=user_id, group_id=group.id, created_by=actor.user_id
    )
    db.add(grant)
    try:
        await db.commit()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict("this user already has a grant for this team") from exc
    return grant


async def group_grants(db: AsyncSession, actor: Actor, group_id: str) -> list[GroupGrant]:
    group = await get_group(db, actor, group_id)
    rows = await db.scalars(
        select(GroupGrant).where(GroupGrant.group_id == group.id).order_by(GroupGrant.created_at)
    )
    return list(rows)


async def revoke_group_grant(
    db: AsyncSession, actor: Actor, group_id: str, grant_id: str
) -> GroupGrant:
    group = await get_group(db, actor, group_id)
    grant = await db.get(GroupGrant, grant_id)
    if grant is None or grant.group_id != group.id:
        raise NotFound("grant not found")
    await db.delete(grant)
    await db.commit()
    return grant
