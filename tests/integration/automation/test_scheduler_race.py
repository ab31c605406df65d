"""Several processes ticking at the same moment fire a due job once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.automation.jobs import CronJobs
from nexora.automation.scheduler import Scheduler
from nexora.config import Settings
from nexora.platform import Platform
from nexora.storage.base import utcnow
from nexora.storage.models import Run
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.support.api import ok
from tests.support.channels import make_agent
from tests.support.cron import create_job, firings, make_due
from tests.support.db import query


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The server's own scheduler stays out of the race: only the four contenders below tick.
    return settings.model_copy(update={"cron_tick_seconds": 300.0})


def test_a_due_job_fired_by_several_processes_at_once_runs_once(
    settings: Settings, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.default = Reply(text="Done.")
    job = create_job(
        admin, name="nightly", agent_id=make_agent(admin), schedule="0 3 * * *", task="x"
    )
    make_due(settings.database_url, job["id"], timedelta(seconds=1))
    quiet = settings.model_copy(update={"worker_concurrency": 0})

    async def race() -> list[int]:
        # Four processes' worth of schedulers, each with its own database engine and
        # connections, ticking at the same moment.
        platforms = [Platform.from_settings(quiet) for _ in range(4)]
        schedulers = [Scheduler(p.db, p.runs, CronJobs(p.agents)) for p in platforms]
        try:
            return list(await asyncio.gather(*(s.fire_due() for s in schedulers)))
        finally:
            for platform in platforms:
                await platform.db.dispose()

    fired = asyncio.run(race())
    assert sorted(fired) == [0, 0, 0, 1]
    ((status, run_id),) = firings(settings.database_url, job["id"])
    assert status == "started" and run_id is not None

    async def runs(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(Run)) or 0)

    assert query(settings.database_url, runs) == 1
    next_fire = ok(admin.get(f"/api/cron/{job['id']}"))["next_fire_at"]
    assert next_fire > utcnow().isoformat()
