"""Scheduled jobs from the test thread: create one, make it due, read its firings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.storage.base import utcnow
from nexora.storage.models import CronFiring, CronJob
from tests.support.api import ok
from tests.support.db import query


def create_job(admin: httpx.Client, **body: Any) -> dict[str, Any]:
    job: dict[str, Any] = ok(admin.post("/api/cron", json=body), 201)
    return job


def make_due(url: str, job_id: str, ago: timedelta) -> None:
    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(CronJob).where(CronJob.id == job_id).values(next_fire_at=utcnow() - ago)
        )
        await session.commit()

    query(url, work)


def firings(url: str, job_id: str) -> list[tuple[str, str | None]]:
    async def work(session: AsyncSession) -> list[tuple[str, str | None]]:
        rows = await session.scalars(select(CronFiring).where(CronFiring.job_id == job_id))
        return [(f.status, f.run_id) for f in rows]

    return query(url, work)
