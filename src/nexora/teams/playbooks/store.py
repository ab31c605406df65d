"""Saved playbooks and the playbook runs an actor may see."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, Forbidden, InvalidInput, NotFound
from nexora.storage.models import Playbook, PlaybookRun, Project
from nexora.teams.playbooks.assign import check_references, find_member_user
from nexora.teams.playbooks.definition import PlaybookDef

ACTIVE_RUNS = ("pending", "running", "waiting_owner")


def run_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Admins see every playbook run of their org; others the ones they started or own."""
    in_org = PlaybookRun.org_id == actor.org_id
    if actor.is_admin:
        return in_org
    return in_org & (
        (PlaybookRun.user_id == actor.user_id) | (PlaybookRun.owner_id == actor.user_id)
    )


def may_manage(actor: Actor, owner_id: str, *others: str | None) -> bool:
    return actor.is_admin or actor.user_id in (owner_id, *others)


async def _owner_id(session: AsyncSession, actor: Actor, definition: PlaybookDef) -> str:
    if definition.owner is None:
        return actor.user_id
    user = await find_member_user(session, actor.org_id, definition.owner)
    if user is None:
        raise InvalidInput(f"owner: no user {definition.owner!r} in this organization")
    return user.id


async def _check_project(session: AsyncSession, actor: Actor, project_id: str | None) -> None:
    if project_id is not None:
        project = await session.get(Project, project_id)
        if project is None or project.org_id != actor.org_id:
            raise InvalidInput("project_id: no such project in this organization")


async def _name_free(session: AsyncSession, org_id: str, name: str, but: str | None) -> None:
    taken = await session.scalar(
        select(Playbook.id).where(Playbook.org_id == org_id, Playbook.name == name)
    )
    if taken is not None and taken != but:
        raise Conflict(f"a playbook named {name!r} exists")


async def create_playbook(
    session: AsyncSession,
    actor: Actor,
    definition: PlaybookDef,
    text: str,
    project_id: str | None = None,
) -> Playbook:
    await check_references(session, actor.org_id, definition)
    await _check_project(session, actor, project_id)
    await _name_free(session, actor.org_id, definition.name, None)
    playbook = Playbook(
        org_id=actor.org_id,
        project_id=project_id,
        name=definition.name,
        yaml=text,
        version=1,
        owner_id=await _owner_id(session, actor, definition),
        created_by=actor.user_id,
    )
    session.add(playbook)
    await session.commit()
    return playbook


async def get_playbook(session: AsyncSession, actor: Actor, playbook_id: str) -> Playbook:
    playbook = await session.get(Playbook, playbook_id)
    if playbook is None or playbook.org_id != actor.org_id:
        raise NotFound("playbook not found")
    return playbook


async def find_playbook(session: AsyncSession, actor: Actor, name_or_id: str) -> Playbook:
    """By id or by name within the actor's org (what dispatch and templates name)."""
    playbook = await session.scalar(
        select(Playbook).where(
            Playbook.org_id == actor.org_id,
            (Playbook.id == name_or_id) | (Playbook.name == name_or_id),
        )
    )
    if playbook is None:
        raise NotFound(f"playbook {name_or_id!r} not found")
    return playbook


async def list_playbooks(session: AsyncSession, actor: Actor) -> list[Playbook]:
    rows = await session.scalars(
        select(Playbook).where(Playbook.org_id == actor.org_id).order_by(Playbook.name)
    )
    return list(rows)


async def update_playbook(
    session: AsyncSession,
    actor: Actor,
    playbook_id: str,
    definition: PlaybookDef,
    text: str,
    project_id: str | None = None,
) -> Playbook:
    """A new version; runs already started keep the definition they started with."""
    playbook = await get_playbook(session, actor, playbook_id)
    if not may_manage(actor, playbook.owner_id, playbook.created_by):
        raise Forbidden("only the playbook's owner, its author or an admin may change it")
    await check_references(session, actor.org_id, definition)
    await _check_project(session, actor, project_id)
    await _name_free(session, actor.org_id, definition.name, playbook.id)
    playbook.name, playbook.yaml = definition.name, text
    playbook.project_id = project_id
    playbook.owner_id = await _owner_id(session, actor, definition)
    playbook.version += 1
    await session.commit()
    return playbook


async def delete_playbook(session: AsyncSession, actor: Actor, playbook_id: str) -> None:
    playbook = await get_playbook(session, actor, playbook_id)
    if not may_manage(actor, playbook.owner_id, playbook.created_by):
        raise Forbidden("only the playbook's owner, its author or an admin may delete it")
    active = await session.scalar(
        select(func.count())
        .select_from(PlaybookRun)
        .where(PlaybookRun.playbook_id == playbook.id, PlaybookRun.status.in_(ACTIVE_RUNS))
    )
    if active:
        raise Conflict("the playbook has active runs: abort them first")
    await session.delete(playbook)
    await session.commit()


async def get_run(session: AsyncSession, actor: Actor, run_id: str) -> PlaybookRun:
    run = await session.scalar(
        select(PlaybookRun).where(PlaybookRun.id == run_id, run_visible_to(actor))
    )
    if run is None:
        raise NotFound("playbook run not found")
    return run


async def list_runs(
    session: AsyncSession,
    actor: Actor,
    *,
    playbook_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[PlaybookRun]:
    query = select(PlaybookRun).where(run_visible_to(actor))
    if playbook_id is not None:
        query = query.where(PlaybookRun.playbook_id == playbook_id)
    if status is not None:
        query = query.where(PlaybookRun.status == status)
    rows = await session.scalars(query.order_by(PlaybookRun.created_at.desc()).limit(limit))
    return list(rows)
