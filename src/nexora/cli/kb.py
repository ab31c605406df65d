"""`nexora kb`: the knowledge base, i.e. documents in an agent's archival memory.

`ingest` works on the local data dir as the org's first administrator: it reads a file, every
supported file under a folder, a URL (public addresses only, unless an admin allowed the
host) or a Feishu document (`feishu:docx/ID`, `feishu:wiki/TOKEN` or its URL), and shows a
progress bar while the chunks are written. The job is recorded like one started through the
API (`GET /api/memory/jobs/{id}`)."""

from __future__ import annotations

from dataclasses import dataclass

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.cli._local import console, err_console, local_actor, run_local
from nexora.errors import InvalidInput, NotFound
from nexora.governance.audit import RequestContext
from nexora.memory.ingest.jobs import JobProgress
from nexora.memory.ingest.runner import IngestRequest
from nexora.memory.scope import Owner
from nexora.platform import Platform
from nexora.storage.models import AgentRecord, Membership, User

app = typer.Typer(help="Documents in agents' archival memory.", no_args_is_help=True)

_CLI = RequestContext(ip=None, user_agent="nexora-cli")


@dataclass(frozen=True, slots=True)
class _Outcome:
    agent: str
    status: str
    done: int
    total: int
    added: int
    duplicates: int
    retired: int
    error: str | None
    failures: list[dict[str, str]]


@app.command("ingest")
def ingest(
    target: str = typer.Argument(..., metavar="PATH|URL", help="A file, a folder or a URL."),
    agent: str | None = typer.Option(
        None, "--agent", help="Whose memory (name or id); needed when the org has several."
    ),
    user: str | None = typer.Option(
        None, "--user", help="Keep the documents private to this user (name or id)."
    ),
    org: str = typer.Option("default", "--org", help="Organization name."),
) -> None:
    """Ingest documents (PDF, Word, Excel, PowerPoint, Markdown, HTML, text) into an agent's
    archival memory; the same document twice adds nothing."""
    outcome = run_local(lambda platform: _ingest(platform, target, agent, user, org))
    line = (
        f"{outcome.done} of {outcome.total} documents into {outcome.agent}: "
        f"{outcome.added} chunks added, {outcome.duplicates} already there"
    )
    if outcome.retired:
        line += f", {outcome.retired} retired (no longer in their document)"
    console.print(line)
    for failure in outcome.failures:
        err_console.print(f"[yellow]skipped[/yellow] {failure['source']}: {failure['error']}")
    if outcome.status != "completed":
        err_console.print(f"[red]error:[/red] {outcome.error}")
        raise typer.Exit(1)


async def _ingest(
    platform: Platform, target: str, agent: str | None, user: str | None, org: str
) -> _Outcome:
    async with platform.db.session() as db:
        actor = await local_actor(db, org)
        record = await _agent(db, platform, actor.org_id, agent)
        user_id = await _member(db, actor.org_id, user) if user else None
    from nexora.memory.ingest.sources import resolve_target  # with the readers: only here

    limits = platform.ingestion.limits()
    inputs = resolve_target(target, limits)
    request = IngestRequest(
        Owner(actor.org_id, agent_id=record.id, user_id=user_id), inputs, actor.user_id, limits
    )
    job = await platform.ingestion.create(request, target, actor=actor, request_info=_CLI)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[chunks]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = bar.add_task("reading", total=len(inputs), chunks="")

        def show(progress: JobProgress) -> None:
            current = progress.current.rsplit("/", 1)[-1] if progress.current else "done"
            bar.update(
                task,
                completed=progress.done,
                description=current[:40],
                chunks=f"{progress.added} added, {progress.duplicates} already there",
            )

        finished = await platform.ingestion.run(job.id, request, show)
        bar.update(task, description="done")
    return _Outcome(
        agent=record.name,
        status=finished.status,
        done=finished.done,
        total=finished.total,
        added=finished.added,
        duplicates=finished.duplicates,
        retired=int(finished.meta.get("retired") or 0),
        error=finished.error,
        failures=list(finished.meta.get("failures") or []),
    )


async def _agent(
    db: AsyncSession, platform: Platform, org_id: str, agent: str | None
) -> AgentRecord:
    """The named agent of the org, or its only one when none is named."""
    which = AgentRecord.org_id == org_id
    if agent is not None:
        which &= or_(AgentRecord.id == agent, AgentRecord.name == agent)
    records = list(await db.scalars(select(AgentRecord).where(which).limit(2)))
    if agent is not None and not records:
        raise NotFound(f"agent {agent!r} not found")
    if len(records) != 1:
        raise InvalidInput(
            "name the agent with --agent" if records else "the organization has no agent yet"
        )
    return records[0]


async def _member(db: AsyncSession, org_id: str, user: str) -> str:
    user_id = await db.scalar(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id, or_(User.id == user, User.username == user))
    )
    if user_id is None:
        raise NotFound(f"user {user!r} is not a member of this organization")
    return user_id
