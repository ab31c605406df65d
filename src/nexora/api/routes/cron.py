"""Scheduled tasks: an agent or a team doing a task on a schedule, as its owner, with the result
posted in a chat. Members manage their own jobs; admins every job of their organization."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.automation.jobs import CronIn, CronPatch, CronView, FiringView, firing_view, view
from nexora.automation.templates import TEMPLATES
from nexora.platform import Platform

router = APIRouter(prefix="/api/cron", tags=["cron"])


class TemplateView(BaseModel):
    name: str
    title: str
    schedule: str
    parameters: list[str]
    only_on_change: bool
    needs: str


def _audit(
    platform: Platform, action: str, actor: Any, job_id: str, info: Any, **detail: Any
) -> None:
    platform.audit.record(
        action,
        actor=actor,
        resource_type="cron_job",
        resource_id=job_id,
        request=info,
        detail=detail,
    )


@router.get("/templates", operation_id="listCronTemplates")
async def list_templates(actor: CurrentActor) -> list[TemplateView]:
    return [
        TemplateView(
            name=t.name,
            title=t.title,
            schedule=t.schedule,
            parameters=list(t.parameters),
            only_on_change=t.only_on_change,
            needs=t.needs,
        )
        for t in TEMPLATES.values()
    ]


@router.post("", status_code=201, operation_id="createCronJob")
async def create_job(
    body: CronIn, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> CronView:
    job = await platform.cron_jobs.create(db, actor, body)
    _audit(platform, "cron.create", actor, job.id, info, name=job.name, schedule=job.schedule)
    return view(job)


@router.get("", operation_id="listCronJobs")
async def list_jobs(actor: CurrentActor, db: DbSession, platform: PlatformDep) -> list[CronView]:
    return [view(job) for job in await platform.cron_jobs.visible(db, actor)]


@router.get("/{job_id}", operation_id="getCronJob")
async def get_job(
    job_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> CronView:
    return view(await platform.cron_jobs.get(db, actor, job_id))


@router.put("/{job_id}", operation_id="updateCronJob")
async def update_job(
    job_id: str,
    body: CronPatch,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> CronView:
    job = await platform.cron_jobs.update(db, actor, job_id, body)
    _audit(platform, "cron.update", actor, job.id, info, fields=sorted(body.model_fields_set))
    return view(job)


@router.delete("/{job_id}", status_code=204, operation_id="deleteCronJob")
async def delete_job(
    job_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    job = await platform.cron_jobs.delete(db, actor, job_id)
    _audit(platform, "cron.delete", actor, job.id, info, name=job.name)
    return Response(status_code=204)


@router.post("/{job_id}/run", status_code=202, operation_id="runCronJob")
async def run_job(
    job_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> FiringView:
    """Fires the job now, outside its schedule; follow the run by its `run_id`."""
    firing = await platform.scheduler.run_now(db, actor, job_id)
    _audit(platform, "cron.run", actor, job_id, info, firing_id=firing.id)
    return firing_view(firing)


@router.get("/{job_id}/firings", operation_id="listCronFirings")
async def list_firings(
    job_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[FiringView]:
    return [firing_view(f) for f in await platform.cron_jobs.firings(db, actor, job_id)]
