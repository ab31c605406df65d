"""Ingestion jobs as `memory_jobs` rows: created queued, updated as documents are written,
ended completed or failed — so people can follow a long ingestion and see why one failed.

A job records which process runs it. When a process starts, jobs left queued or running by a
process that is gone (same host, pid no longer alive) or that has not updated them for
`ingest_stale_seconds` are marked failed with that reason, instead of staying "running"."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psutil
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.registry import visible_to
from nexora.auth.actor import Actor
from nexora.errors import NotFound
from nexora.memory.scope import Owner
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import AgentRecord, MemoryJob

KIND = "ingest"
UNFINISHED = ("queued", "running")
MAX_FAILURES_KEPT = 50  # per job, in meta: enough to act on, bounded for a huge folder


def runner_identity() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


@dataclass
class JobProgress:
    """A job's counters as the runner keeps them; written to the row after every batch."""

    job_id: str
    total: int
    done: int = 0
    added: int = 0
    duplicates: int = 0
    retired: int = 0
    current: str | None = None  # the document being read
    failures: list[dict[str, str]] = field(default_factory=list)


async def create_job(
    db: Database, owner: Owner, source: str, total: int, created_by: str | None
) -> MemoryJob:
    async with db.session() as session:
        job = MemoryJob(
            org_id=owner.org_id,
            agent_id=owner.agent_id,
            kind=KIND,
            source=source[:1000],
            status="queued",
            total=total,
            created_by=created_by,
            meta={"user_id": owner.user_id, "runner": runner_identity()},
        )
        session.add(job)
        await session.commit()
        return job


async def save_progress(db: Database, progress: JobProgress, status: str = "running") -> None:
    async with db.session() as session:
        job = await _job(session, progress.job_id)
        job.status = status
        job.total = progress.total
        job.done = progress.done
        job.added = progress.added
        job.duplicates = progress.duplicates
        job.meta = {
            **job.meta,
            "current": progress.current,
            "retired": progress.retired,
            "failures": progress.failures[:MAX_FAILURES_KEPT],
        }
        job.updated_at = utcnow()
        await session.commit()


async def finish_job(db: Database, progress: JobProgress, error: str | None) -> MemoryJob:
    """Completed, or failed with `error`; a job some of whose documents failed still
    completes when others were written, and lists the failures in its meta."""
    progress.current = None
    await save_progress(db, progress, "failed" if error else "completed")
    async with db.session() as session:
        job = await _job(session, progress.job_id)
        job.error = error
        await session.commit()
        return job


async def fail_orphaned(db: Database, stale_seconds: float) -> int:
    """Marks failed the unfinished jobs whose process is gone; how many there were."""
    me = runner_identity()
    cutoff = utcnow() - timedelta(seconds=stale_seconds)
    async with db.session() as session:
        jobs = await session.scalars(
            select(MemoryJob).where(MemoryJob.kind == KIND, MemoryJob.status.in_(UNFINISHED))
        )
        orphans = [job for job in jobs if _orphaned(job, me, cutoff)]
        for job in orphans:
            job.status = "failed"
            job.error = (
                "interrupted: the process running this ingestion stopped before it finished; "
                "ingest the same documents again to resume (what was written is kept)"
            )
            job.updated_at = utcnow()
        await session.commit()
    return len(orphans)


def _orphaned(job: MemoryJob, me: dict[str, Any], cutoff: datetime) -> bool:
    runner = job.meta.get("runner") or {}
    if runner.get("host") == me["host"]:
        # Called before this process starts any job, so a job naming our own pid was left
        # by an earlier process that had the same pid.
        pid = runner.get("pid")
        return pid == me["pid"] or not isinstance(pid, int) or not psutil.pid_exists(pid)
    updated = job.updated_at
    if updated.tzinfo is None:  # SQLite hands back naive UTC times
        updated = updated.replace(tzinfo=UTC)
    return updated < cutoff


async def get_job(session: AsyncSession, org_id: str, job_id: str) -> MemoryJob:
    job = await session.get(MemoryJob, job_id)
    if job is None or job.org_id != org_id or job.kind != KIND:
        raise NotFound("no such ingestion job")
    return job


async def list_jobs(
    session: AsyncSession, actor: Actor, agent_id: str | None, limit: int
) -> list[MemoryJob]:
    """The actor's org's ingestion jobs for agents it may use, newest first; jobs private to
    another user are left out unless the actor is an admin."""
    query = (
        select(MemoryJob)
        .where(
            MemoryJob.org_id == actor.org_id,
            MemoryJob.kind == KIND,
            MemoryJob.agent_id.in_(select(AgentRecord.id).where(visible_to(actor))),
        )
        .order_by(MemoryJob.created_at.desc())
    )
    if agent_id is not None:
        query = query.where(MemoryJob.agent_id == agent_id)
    found = []
    for job in await session.scalars(query.limit(limit * 2)):
        private_to = job.meta.get("user_id")
        if private_to is None or private_to == actor.user_id or actor.is_admin:
            found.append(job)
    return found[:limit]


async def _job(session: AsyncSession, job_id: str) -> MemoryJob:
    job = await session.get(MemoryJob, job_id)
    if job is None:  # pragma: no cover - jobs are never deleted while running
        raise NotFound(f"ingestion job {job_id} is gone")
    return job
