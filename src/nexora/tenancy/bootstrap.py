"""First start: the default organization and, when a password is given, its administrator."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Role
from nexora.storage.models import Org
from nexora.tenancy.orgs import DEFAULT_ORG, create_org
from nexora.tenancy.users import add_user, count_users

ADMIN_USERNAME = "admin"


async def ensure_default_org(db: AsyncSession) -> Org:
    org = await db.scalar(select(Org).where(Org.name == DEFAULT_ORG))
    return org or await create_org(db, DEFAULT_ORG)


async def bootstrap(db: AsyncSession, admin_password: str | None) -> bool:
    """Creates the default org, and `admin` if no user exists yet. Returns whether it did."""
    org = await ensure_default_org(db)
    if admin_password is None or await count_users(db) > 0:
        return False
    await add_user(db, org.id, ADMIN_USERNAME, admin_password, Role.ADMIN, platform_admin=True)
    return True
