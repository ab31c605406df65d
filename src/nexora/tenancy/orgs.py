"""Organizations and their projects."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, Forbidden, NotFound
from nexora.storage.models import Org, Project

DEFAULT_ORG = "default"
DEFAULT_PROJECT = "default"


async def create_org(db: AsyncSession, name: str) -> Org:
    """Creates an org with its default project (no actor: used by bootstrap and by admins)."""
    org = Org(name=name)
    db.add(org)
    try:
        await db.flush()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict(f"an organization named {name!r} already exists") from exc
    db.add(Project(org_id=org.id, name=DEFAULT_PROJECT, description="Created with the org"))
    await db.commit()
    return org


async def create_org_as(db: AsyncSession, actor: Actor, name: str) -> Org:
    if not actor.platform_admin:
        raise Forbidden("only the platform administrator creates organizations")
    return await create_org(db, name)


async def list_orgs(db: AsyncSession, actor: Actor) -> list[Org]:
    query = select(Org).order_by(Org.created_at)
    if not actor.platform_admin:
        query = query.where(Org.id == actor.org_id)
    return list(await db.scalars(query))


async def get_managed_org(db: AsyncSession, actor: Actor, org_id: str) -> Org:
    """The org if the actor may manage it; otherwise it does not exist for them."""
    org = await db.get(Org, org_id) if actor.may_manage_org(org_id) else None
    if org is None:
        raise NotFound("organization not found")
    return org


async def list_projects(db: AsyncSession, actor: Actor) -> list[Project]:
    rows = await db.scalars(
        select(Project).where(Project.org_id == actor.org_id).order_by(Project.created_at)
    )
    return list(rows)


async def create_project(db: AsyncSession, actor: Actor, name: str, description: str) -> Project:
    project = Project(org_id=actor.org_id, name=name, description=description)
    db.add(project)
    try:
        await db.commit()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict(f"a project named {name!r} already exists") from exc
    return project


async def get_project(db: AsyncSession, actor: Actor, project_id: str) -> Project:
    project = await db.get(Project, project_id)
    if project is None or project.org_id != actor.org_id:
        raise NotFound("project not found")
    return project
