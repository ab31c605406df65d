"""`nexora cron`: scheduled tasks (works on the local data dir, as the org's first admin, who
owns the jobs made here). Firings run on the server's workers."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table
from sqlalchemy import or_, select

from nexora.automation.jobs import CronIn, Deliver
from nexora.automation.templates import TEMPLATES
from nexora.cli._local import console, local_actor, run_local
from nexora.errors import InvalidInput
from nexora.platform import Platform
from nexora.storage.models import CronFiring, CronJob

app = typer.Typer(help="Scheduled tasks (works on the local data dir).", no_args_is_help=True)
ORG = typer.Option("default", "--org", help="Organization name.")


async def _job_id(platform: Platform, org: str, id_or_name: str) -> str:
    async with platform.db.session() as db:
        actor = await local_actor(db, org)
        found = await db.scalar(
            select(CronJob.id).where(
                CronJob.org_id == actor.org_id,
                or_(CronJob.id == id_or_name, CronJob.name == id_or_name),
            )
        )
        return found or id_or_name  # an unknown one is reported as not found


@app.command("list")
def list_(org: str = ORG) -> None:
    """The org's scheduled jobs and when each fires next."""

    async def work(platform: Platform) -> list[CronJob]:
        async with platform.db.session() as db:
            return await platform.cron_jobs.visible(db, await local_actor(db, org))

    table = Table("id", "name", "schedule", "timezone", "next (UTC)", "enabled", "delivers to")
    for job in run_local(work):
        deliver = job.deliver or {}
        table.add_row(
            job.id,
            job.name,
            job.schedule,
            job.timezone,
            f"{job.next_fire_at:%Y-%m-%d %H:%M}" if job.next_fire_at else "-",
            "yes" if job.enabled else "no",
            f"{deliver.get('channel_id')}:{deliver.get('to')}" if deliver else "",
        )
    console.print(table)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="A name for the job."),
    agent: str | None = typer.Option(None, "--agent", help="The agent (id or name)."),
    team: str | None = typer.Option(None, "--team", help="Or the team (id)."),
    schedule: str | None = typer.Option(None, "--schedule", help="Cron, e.g. '0 9 * * 1-5'."),
    at: datetime | None = typer.Option(None, "--at", help="Or a one-off time (ISO 8601)."),
    timezone: str = typer.Option("UTC", "--tz", help="IANA time zone of the schedule."),
    task: str | None = typer.Option(None, "--task", help="What to do."),
    template: str | None = typer.Option(None, "--template", help="Or a built-in template."),
    param: list[str] = typer.Option([], "--param", help="A template parameter, KEY=VALUE."),
    deliver: str | None = typer.Option(
        None, "--deliver", help="CHANNEL_ID or CHANNEL_ID:CONVERSATION to post the result in."
    ),
    missed: str = typer.Option("skip", "--missed", help="skip or run_once, for missed times."),
    org: str = ORG,
) -> None:
    """Schedule a task."""
    parameters: dict[str, object] = {}
    for item in param:
        key, _, value = item.partition("=")
        if not value:
            raise typer.BadParameter(f"--param {item!r}: KEY=VALUE")
        parameters[key] = value.split(",") if key == "feeds" else value
    target = None
    if deliver:
        channel_id, _, to = deliver.partition(":")
        target = Deliver(channel_id=channel_id, to=to or None)
    try:
        body = CronIn.model_validate(
            {
                "name": name,
                "agent_id": agent,
                "group_id": team,
                "schedule": schedule,
                "at": at,
                "timezone": timezone,
                "task": task,
                "template": template,
                "parameters": parameters,
                "deliver": target,
                "missed": missed,
            }
        )
    except ValueError as error:
        raise InvalidInput(str(error).splitlines()[-1]) from None

    async def work(platform: Platform) -> CronJob:
        async with platform.db.session() as db:
            return await platform.cron_jobs.create(db, await local_actor(db, org), body)

    job = run_local(work)
    console.print(f"scheduled {job.name} ({job.id}); next: {job.next_fire_at:%Y-%m-%d %H:%M} UTC")


@app.command("run")
def run(job: str = typer.Argument(..., help="Job id or name."), org: str = ORG) -> None:
    """Fire a job now (its run is done by the server's workers)."""

    async def work(platform: Platform) -> CronFiring:
        job_id = await _job_id(platform, org, job)
        async with platform.db.session() as db:
            return await platform.scheduler.run_now(db, await local_actor(db, org), job_id)

    firing = run_local(work)
    if firing.run_id is None:
        console.print(f"[red]not started:[/red] {firing.error}")
        raise typer.Exit(1)
    console.print(f"fired: run {firing.run_id} (`nexora tail {firing.run_id}` to follow it)")


@app.command("delete")
def delete(job: str = typer.Argument(..., help="Job id or name."), org: str = ORG) -> None:
    """Delete a scheduled job."""

    async def work(platform: Platform) -> CronJob:
        job_id = await _job_id(platform, org, job)
        async with platform.db.session() as db:
            return await platform.cron_jobs.delete(db, await local_actor(db, org), job_id)

    console.print(f"deleted {run_local(work).name}")


@app.command("templates")
def templates() -> None:
    """The built-in task templates and what each needs."""
    table = Table("name", "what", "schedule", "parameters", "needs")
    for template in TEMPLATES.values():
        table.add_row(
            template.name,
            template.title,
            template.schedule,
            ", ".join(template.parameters),
            template.needs,
        )
    console.print(table)
