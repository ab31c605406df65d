"""Agents in the scope of an actor: the YAML file is what people edit, the index what we query."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.config import (
    AgentConfigError,
    AgentFile,
    AgentSpec,
    dump_agent_yaml,
    parse_agent_yaml,
)
from nexora.agents.files import AgentFiles
from nexora.auth.actor import Actor
from nexora.errors import Conflict, Forbidden, NotFound
from nexora.storage.base import new_id, utcnow
from nexora.storage.models import AgentGrant, AgentRecord, Org, Project

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AgentView:
    record: AgentRecord
    config: AgentFile
    workspace: Path


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """The one predicate that decides which agents an actor may see and use: every agent of
    the org for its admins, the granted ones for everybody else."""
    in_org = AgentRecord.org_id == actor.org_id
    if actor.is_admin:
        return in_org
    granted = select(AgentGrant.agent_id).where(
        AgentGrant.user_id == actor.user_id, AgentGrant.org_id == actor.org_id
    )
    return in_org & AgentRecord.id.in_(granted)


class AgentRegistry:
    def __init__(self, files: AgentFiles) -> None:
        self.files = files

    def _view(self, record: AgentRecord) -> AgentView:
        config = parse_agent_yaml(record.config_yaml, f"agent {record.id}")
        return AgentView(record, config, self.files.workspace(record.id))

    async def visible(self, db: AsyncSession, actor: Actor) -> list[AgentView]:
        rows = await db.scalars(
            select(AgentRecord).where(visible_to(actor)).order_by(AgentRecord.name)
        )
        return [self._view(r) for r in rows]

    async def get(self, db: AsyncSession, actor: Actor, agent_id: str) -> AgentView:
        return await self._visible_one(db, actor, AgentRecord.id == agent_id, "agent not found")

    async def _visible_one(
        self, db: AsyncSession, actor: Actor, which: ColumnElement[bool], missing: str
    ) -> AgentView:
        """One agent of the actor's org: 404 if there is none, 403 if it is not granted."""
        record = await db.scalar(
            select(AgentRecord).where(which, AgentRecord.org_id == actor.org_id).limit(1)
        )
        if record is None:
            raise NotFound(missing)
        if not actor.is_admin:
            granted = await db.scalar(
                select(AgentGrant.id).where(
                    AgentGrant.user_id == actor.user_id, AgentGrant.agent_id == record.id
                )
            )
            if granted is None:
                raise Forbidden("you have no grant for this agent: ask an admin for one")
        if self.files.mtime(record.id) not in (None, record.config_mtime):
            await self._sync_from_file(db, record)
        return self._view(record)

    async def for_run(self, db: AsyncSession, org_id: str, agent_id: str) -> AgentView:
        """The agent a queued run names; access was checked when the run was created."""
        record = await db.get(AgentRecord, agent_id)
        if record is None or record.org_id != org_id:
            raise NotFound("agent not found")
        if self.files.mtime(agent_id) not in (None, record.config_mtime):
            await self._sync_from_file(db, record)
        return self._view(record)

    async def find(self, db: AsyncSession, actor: Actor, id_or_name: str) -> AgentView:
        """By id or by name within the actor's org; grants apply as in `get`."""
        which = (AgentRecord.id == id_or_name) | (AgentRecord.name == id_or_name)
        return await self._visible_one(db, actor, which, f"agent {id_or_name!r} not found")

    async def create(self, db: AsyncSession, actor: Actor, spec: AgentSpec) -> AgentView:
        _require_admin(actor)
        await self._check_project(db, actor, spec.project_id)
        config = AgentFile(id=new_id(), org_id=actor.org_id, **spec.model_dump())
        record = AgentRecord(
            id=config.id,
            org_id=actor.org_id,
            created_by=actor.author_id,
            config_yaml="",
        )
        self._apply(record, config)
        db.add(record)
        try:
            await db.flush()
        except IntegrityError as exc:
            await db.rollback()
            raise Conflict(f"an agent named {spec.name!r} already exists") from exc
        record.config_mtime = self.files.write(config.id, record.config_yaml)
        await db.commit()
        return self._view(record)

    async def update(
        self, db: AsyncSession, actor: Actor, agent_id: str, spec: AgentSpec
    ) -> AgentView:
        _require_admin(actor)
        current = await self.get(db, actor, agent_id)
        await self._check_project(db, actor, spec.project_id)
        config = AgentFile(id=agent_id, org_id=current.record.org_id, **spec.model_dump())
        record = current.record
        self._apply(record, config)
        try:
            await db.flush()
        except IntegrityError as exc:
            await db.rollback()
            raise Conflict(f"an agent named {spec.name!r} already exists") from exc
        record.config_mtime = self.files.write(agent_id, record.config_yaml)
        await db.commit()
        return self._view(record)

    async def delete(self, db: AsyncSession, actor: Actor, agent_id: str) -> None:
        _require_admin(actor)
        current = await self.get(db, actor, agent_id)
        await db.delete(current.record)
        await db.commit()
        self.files.remove(agent_id)

    async def reload(self, db: AsyncSession, actor: Actor, agent_id: str) -> AgentView:
        """Re-reads a hand-edited YAML; an invalid file is reported and the last good one kept."""
        current = await self.get(db, actor, agent_id)
        await self._sync_from_file(db, current.record)
        return self._view(current.record)

    async def reindex(self, db: AsyncSession) -> tuple[int, list[str]]:
        """Indexes agent folders found on disk (e.g. restored from a backup). Operator-free:
        used by the CLI on the local data dir. Returns (indexed, problems)."""
        known = set(await db.scalars(select(AgentRecord.id)))
        indexed, problems = 0, []
        for agent_id in self.files.ids_on_disk():
            if agent_id in known:
                record = await db.get(AgentRecord, agent_id)
                assert record is not None
                if self.files.mtime(agent_id) != record.config_mtime:
                    await self._sync_from_file(db, record)
                if record.load_error:
                    problems.append(record.load_error)
                continue
            path = self.files.config_path(agent_id)
            try:
                config = parse_agent_yaml(path.read_text(encoding="utf-8"), str(path))
                if config.id != agent_id:
                    raise AgentConfigError(f"{path}: id {config.id!r} differs from its folder")
                if await db.get(Org, config.org_id) is None:
                    raise AgentConfigError(f"{path}: organization {config.org_id!r} not found")
            except AgentConfigError as exc:
                problems.append(str(exc))
                continue
            record = AgentRecord(id=agent_id, org_id=config.org_id, config_yaml="")
            self._apply(record, config)
            record.config_mtime = self.files.mtime(agent_id) or 0.0
            db.add(record)
            try:
                await db.commit()
                indexed += 1
            except IntegrityError:
                await db.rollback()
                problems.append(f"{path}: name {config.name!r} is already used in its org")
        return indexed, problems

    async def _sync_from_file(self, db: AsyncSession, record: AgentRecord) -> None:
        path = self.files.config_path(record.id)
        mtime = self.files.mtime(record.id) or 0.0
        try:
            config = parse_agent_yaml(self.files.read(record.id), str(path))
            if config.id != record.id or config.org_id != record.org_id:
                raise AgentConfigError(f"{path}: 'id' and 'org_id' cannot be changed by hand")
        except (AgentConfigError, OSError) as exc:
            log.warning("agent %s: keeping the last valid configuration: %s", record.id, exc)
            record.load_error = str(exc)
            record.config_mtime = mtime
            await db.commit()
            return
        self._apply(record, config)
        record.config_mtime = mtime
        try:
            await db.commit()
        except IntegrityError:
            await db.rollback()
            record.load_error = f"{path}: name {config.name!r} is already used in this org"
            record.config_mtime = mtime
            await db.commit()

    @staticmethod
    def _apply(record: AgentRecord, config: AgentFile) -> None:
        record.name = config.name
        record.description = config.description
        record.model = config.model
        record.project_id = config.project_id
        record.config_yaml = dump_agent_yaml(config)
        record.load_error = None
        record.updated_at = utcnow()

    @staticmethod
    async def _check_project(db: AsyncSession, actor: Actor, project_id: str | None) -> None:
        if project_id is None:
            return
        project = await db.get(Project, project_id)
        if project is None or project.org_id != actor.org_id:
            raise NotFound("project not found")


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("only an admin of this organization manages agents")
