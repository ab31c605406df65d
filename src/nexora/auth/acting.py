"""Acting for a user who is not making the request: a playbook's owner, a chat-app user, a
scheduled job's owner. They get exactly their own role and grants, never more."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor, Role
from nexora.errors import NotFound
from nexora.storage.models import Membership, User


async def acting_as(
    session: AsyncSession,
    org_id: str,
    user_id: str,
    via: Literal["local", "channel", "schedule"] = "local",
) -> Actor:
    """The user as a member of the org; NotFound once they have left it."""
    row = (
        await session.execute(
            select(User.username, User.platform_admin, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(User.id == user_id, Membership.org_id == org_id, User.disabled.is_(False))
        )
    ).first()
    if row is None:
        raise NotFound("this user is no longer an active member of the organization")
    return Actor(user_id, row.username, org_id, Role(row.role), row.platform_admin, via)
