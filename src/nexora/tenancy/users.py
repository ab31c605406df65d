"""Users and their membership of organizations."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor, Role
from nexora.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from nexora.errors import Conflict, InvalidInput, NotFound
from nexora.storage.models import AuthSession, Membership, User
from nexora.tenancy.orgs import get_managed_org


@dataclass(frozen=True, slots=True)
class OrgUser:
    user: User
    membership: Membership


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


async def add_user(
    db: AsyncSession,
    org_id: str,
    username: str,
    password: str,
    role: Role,
    *,
    platform_admin: bool = False,
) -> OrgUser:
    """Creates a user in `org_id`; callers have checked that they may."""
    _check_password(password)
    user = User(
        username=username,
        password_hash=await asyncio.to_thread(hash_password, password),
        platform_admin=platform_admin,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict(f"the username {username!r} is taken") from exc
    membership = Membership(user_id=user.id, org_id=org_id, role=role.value)
    db.add(membership)
    await db.commit()
    return OrgUser(user, membership)


async def create_user(
    db: AsyncSession, actor: Actor, username: str, password: str, role: Role, org_id: str | None
) -> OrgUser:
    org = await get_managed_org(db, actor, org_id or actor.org_id)
    return await add_user(db, org.id, username, password, role)


async def list_users(db: AsyncSession, actor: Actor, org_id: str | None) -> list[OrgUser]:
    org = await get_managed_org(db, actor, org_id or actor.org_id)
    rows = await db.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org.id)
        .order_by(User.created_at)
    )
    return [OrgUser(user, membership) for user, membership in rows.all()]


async def get_user(db: AsyncSession, actor: Actor, user_id: str) -> OrgUser:
    """A user the actor may manage: one with a membership in an org the actor manages."""
    rows = await db.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(User.id == user_id)
        .order_by(Membership.created_at)
    )
    for user, membership in rows.all():
        if actor.may_manage_org(membership.org_id):
            return OrgUser(user, membership)
    raise NotFound("user not found")


async def update_user(
    db: AsyncSession,
    actor: Actor,
    user_id: str,
    *,
    disabled: bool | None = None,
    role: Role | None = None,
) -> OrgUser:
    found = await get_user(db, actor, user_id)
    if user_id == actor.user_id and (disabled or (role is not None and role is not Role.ADMIN)):
        raise Conflict("you cannot disable yourself or give up your own admin role")
    if disabled is not None:
        found.user.disabled = disabled
        if disabled:
            await _end_sessions(db, user_id)
    if role is not None:
        found.membership.role = role.value
    await db.commit()
    return found


async def reset_password(db: AsyncSession, actor: Actor, user_id: str, password: str) -> None:
    found = await get_user(db, actor, user_id)
    _check_password(password)
    found.user.password_hash = await asyncio.to_thread(hash_password, password)
    await _end_sessions(db, user_id)
    await db.commit()


async def change_own_password(db: AsyncSession, actor: Actor, password: str) -> None:
    user = await db.get(User, actor.user_id)
    assert user is not None
    _check_password(password)
    user.password_hash = await asyncio.to_thread(hash_password, password)
    await db.commit()


async def delete_user(db: AsyncSession, actor: Actor, user_id: str) -> None:
    found = await get_user(db, actor, user_id)
    if user_id == actor.user_id:
        raise Conflict("you cannot delete yourself")
    await db.delete(found.user)
    await db.commit()


async def _end_sessions(db: AsyncSession, user_id: str) -> None:
    await db.execute(delete(AuthSession).where(AuthSession.user_id == user_id))


async def count_users(db: AsyncSession) -> int:
    from sqlalchemy import func

    return int(await db.scalar(select(func.count()).select_from(User)) or 0)
