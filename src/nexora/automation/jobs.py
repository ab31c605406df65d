"""Scheduled jobs as people configure them: validation, who may see what, and the API's view.

A job runs as its owner, so its owner must be able to use its agent or team when it is set up
(and again at every firing, since grants change). Members see and manage their own jobs;
admins all of their organization's. Another organization's job is never found."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.registry import AgentRegistry
from nexora.auth.actor import Actor
from nexora.automation.schedule import ONCE, as_utc, check_schedule, next_fire, zone
from nexora.automation.templates import template_named
from nexora.errors import InvalidInput, NotFound
from nexora.storage.base import utcnow
from nexora.storage.models import Channel, ChannelIdentity, CronFiring, CronJob
from nexora.teams.access import get_group

NAME_PATTERN = r"^[^\x00-\x1f]{1,100}$"
MAX_TASK_CHARS = 20_000


class Deliver(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: str = Field(min_length=1, max_length=64)
    # A conversation of that channel; by default the owner's own account linked there.
    to: str | None = Field(default=None, min_length=1, max_length=255)


class CronIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    agent_id: str | None = Field(default=None, max_length=64)
    group_id: str | None = Field(default=None, max_length=64)
    schedule: str | None = Field(default=None, max_length=120)
    at: datetime | None = None  # a one-off at this time instead of a schedule
    timezone: str = Field(default="UTC", max_length=64)
    task: str | None = Field(default=None, min_length=1, max_length=MAX_TASK_CHARS)
    template: str | None = Field(default=None, max_length=64)
    parameters: dict[str, Any] = Field(default_factory=dict)
    deliver: Deliver | None = None
    only_on_change: bool | None = None
    missed: Literal["skip", "run_once"] = "skip"
    enabled: bool = True


class CronPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=NAME_PATTERN)
    schedule: str | None = Field(default=None, max_length=120)
    timezone: str | None = Field(default=None, max_length=64)
    task: str | None = Field(default=None, min_length=1, max_length=MAX_TASK_CHARS)
    deliver: Deliver | None = None
    only_on_change: bool | None = None
    missed: Literal["skip", "run_once"] | None = None
    enabled: bool | None = None


class CronView(BaseModel):
    id: str
    name: str
    owner_id: str
    agent_id: str | None
    group_id: str | None
    schedule: str
    timezone: str
    task: str
    template: str | None
    deliver: dict[str, Any] | None
    only_on_change: bool
    missed: str
    enabled: bool
    next_fire_at: datetime | None
    last_fired_at: datetime | None
    created_by_run_id: str | None
    created_at: datetime
    updated_at: datetime


class FiringView(BaseModel):
    id: str
    scheduled_for: datetime
    manual: bool
    run_id: str | None
    status: str
    output: str | None
    delivered: bool
    error: str | None
    created_at: datetime


def view(job: CronJob) -> CronView:
    return CronView.model_validate(job, from_attributes=True)


def firing_view(firing: CronFiring) -> FiringView:
    return FiringView.model_validate(firing, from_attributes=True)


class CronJobs:
    def __init__(self, agents: AgentRegistry) -> None:
        self.agents = agents

    async def get(self, db: AsyncSession, actor: Actor, job_id: str) -> CronJob:
        job = await db.get(CronJob, job_id)
        if job is None or job.org_id != actor.org_id:
            raise NotFound("scheduled job not found")
        if not actor.is_admin and job.owner_id != actor.user_id:
            raise NotFound("scheduled job not found")
        return job

    async def visible(self, db: AsyncSession, actor: Actor) -> list[CronJob]:
        query = select(CronJob).where(CronJob.org_id == actor.org_id)
        if not actor.is_admin:
            query = query.where(CronJob.owner_id == actor.user_id)
        return list(await db.scalars(query.order_by(CronJob.name)))

    async def firings(
        self, db: AsyncSession, actor: Actor, job_id: str, limit: int = 50
    ) -> list[CronFiring]:
        job = await self.get(db, actor, job_id)
        rows = await db.scalars(
            select(CronFiring)
            .where(CronFiring.job_id == job.id)
            .order_by(CronFiring.scheduled_for.desc())
            .limit(limit)
        )
        return list(rows)

    async def create(
        self, db: AsyncSession, actor: Actor, body: CronIn, created_by_run_id: str | None = None
    ) -> CronJob:
        if (body.agent_id is None) == (body.group_id is None):
            raise InvalidInput("agent_id, group_id: give exactly one, the agent or the team")
        task, schedule, on_change = body.task, body.schedule, body.only_on_change
        if body.template is not None:
            template = template_named(body.template)
            task = task or template.task(body.parameters)
            schedule = schedule or (None if body.at else template.schedule)
            on_change = template.only_on_change if on_change is None else on_change
        if task is None:
            raise InvalidInput("task: required (or a template)")
        if body.at is not None and schedule is not None:
            raise InvalidInput("schedule, at: give a schedule or a one-off time, not both")
        if body.at is None and schedule is None:
            raise InvalidInput("schedule: required (a cron expression), or `at` for a one-off")
        zone(body.timezone)
        job = CronJob(
            org_id=actor.org_id,
            owner_id=actor.user_id,
            name=body.name.strip(),
            schedule=ONCE if body.at is not None else check_schedule(schedule or ""),
            timezone=body.timezone,
            task=task,
            template=body.template,
            only_on_change=bool(on_change),
            missed=body.missed,
            enabled=body.enabled,
            created_by_run_id=created_by_run_id,
        )
        await self._target(db, actor, job, body.agent_id, body.group_id)
        job.deliver = await self._deliver(db, actor, body.deliver)
        await self._name_free(db, actor.org_id, job.name)
        if body.at is not None:
            if as_utc(body.at) <= utcnow():
                raise InvalidInput("at: a time in the future")
            job.next_fire_at = as_utc(body.at)
        else:
            job.next_fire_at = next_fire(job.schedule, job.timezone, utcnow())
        db.add(job)
        await db.commit()
        return job

    async def update(
        self, db: AsyncSession, actor: Actor, job_id: str, patch: CronPatch
    ) -> CronJob:
        job = await self.get(db, actor, job_id)
        given = patch.model_fields_set
        if patch.name is not None and patch.name.strip() != job.name:
            await self._name_free(db, actor.org_id, patch.name.strip())
            job.name = patch.name.strip()
        if patch.timezone is not None:
            zone(patch.timezone)
            job.timezone = patch.timezone
        if patch.schedule is not None:
            job.schedule = check_schedule(patch.schedule)
        if patch.task is not None:
            job.task = patch.task
        if "deliver" in given:
            job.deliver = await self._deliver(db, actor, patch.deliver)
        for field_name in ("only_on_change", "missed", "enabled"):
            if getattr(patch, field_name) is not None:
                setattr(job, field_name, getattr(patch, field_name))
        if given & {"schedule", "timezone", "enabled"} and job.schedule != ONCE:
            job.next_fire_at = next_fire(job.schedule, job.timezone, utcnow())
        await db.commit()
        return job

    async def delete(self, db: AsyncSession, actor: Actor, job_id: str) -> CronJob:
        job = await self.get(db, actor, job_id)
        await db.delete(job)
        await db.commit()
        return job

    async def count_by_agent(self, db: AsyncSession, agent_id: str) -> int:
        """Jobs agents scheduled for themselves (`schedule_task`), for the per-agent limit."""
        found = await db.scalar(
            select(func.count())
            .select_from(CronJob)
            .where(CronJob.agent_id == agent_id, CronJob.created_by_run_id.is_not(None))
        )
        return int(found or 0)

    async def _target(
        self,
        db: AsyncSession,
        actor: Actor,
        job: CronJob,
        agent_id: str | None,
        group_id: str | None,
    ) -> None:
        if agent_id is not None:
            job.agent_id = (await self.agents.find(db, actor, agent_id)).record.id
        elif group_id is not None:
            job.group_id = (await get_group(db, actor, group_id)).id

    async def _deliver(
        self, db: AsyncSession, actor: Actor, deliver: Deliver | None
    ) -> dict[str, Any] | None:
        if deliver is None:
            return None
        channel = await db.get(Channel, deliver.channel_id)
        if channel is None or channel.org_id != actor.org_id:
            raise InvalidInput("deliver.channel_id: no channel with this id")
        to = deliver.to
        if to is None:
            to = await db.scalar(
                select(ChannelIdentity.external_id).where(
                    ChannelIdentity.channel_id == channel.id,
                    ChannelIdentity.user_id == actor.user_id,
                )
            )
            if to is None:
                raise InvalidInput(
                    "deliver.to: a conversation of the channel (you have no account linked "
                    "there to send it to)"
                )
        return {"channel_id": channel.id, "to": to}

    async def _name_free(self, db: AsyncSession, org_id: str, name: str) -> None:
        taken = await db.scalar(
            select(CronJob.id).where(CronJob.org_id == org_id, CronJob.name == name)
        )
        if taken is not None:
            raise InvalidInput(f"name: a scheduled job named {name!r} exists")
