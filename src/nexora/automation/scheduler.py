"""Firing due jobs, exactly once across processes, and delivering what they produce.

Every process with workers ticks. A due job is claimed by moving its `next_fire_at` on with a
conditional update — of several processes ticking together exactly one succeeds — and its
firing is a row unique per (job, scheduled time), so not even a clock-skewed second claim can
fire it twice. A firing is a normal run as the job's owner. When the run ends its result is
recorded and, if the job delivers, queued in the channel's outbox in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.acting import acting_as
from nexora.auth.actor import Actor
from nexora.automation.jobs import CronJobs
from nexora.automation.schedule import ONCE, as_utc, next_fire
from nexora.channels.base import Outbound
from nexora.channels.outbox import enqueue
from nexora.errors import NexoraError
from nexora.runtime.events import TERMINAL, RunStatus
from nexora.runtime.service import RunService
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import CronFiring, CronJob, Run

log = logging.getLogger(__name__)

# A due time older than this when it is claimed was missed (the process was down).
MISSED_AFTER = timedelta(seconds=60)
BATCH = 50
PREVIOUS_CHARS = 4_000


def result_hash(text: str) -> str:
    """The same report, give or take whitespace and case, is the same report."""
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()


class Scheduler:
    def __init__(
        self,
        db: Database,
        runs: RunService,
        jobs: CronJobs,
        delivered: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.runs = runs
        self.jobs = jobs
        self.delivered = delivered  # wakes the outbox

    async def tick(self) -> int:
        """Fires what is due and settles what ended; the platform calls it every few seconds."""
        fired = await self.fire_due()
        return fired + await self.settle_ended()

    async def fire_due(self, now: datetime | None = None) -> int:
        now = now or utcnow()
        async with self.db.session() as db:
            due = [
                (row.id, row.next_fire_at)
                for row in await db.execute(
                    select(CronJob.id, CronJob.next_fire_at)
                    .where(CronJob.enabled.is_(True), CronJob.next_fire_at <= now)
                    .order_by(CronJob.next_fire_at)
                    .limit(BATCH)
                )
            ]
        fired = 0
        for job_id, due_at in due:
            if due_at is not None and await self._fire_if_claimed(job_id, due_at, now):
                fired += 1
        return fired

    async def _fire_if_claimed(self, job_id: str, due_at: datetime, now: datetime) -> bool:
        async with self.db.session() as db:
            job = await db.get(CronJob, job_id)
            if job is None:
                return False
            following = next_fire(job.schedule, job.timezone, now)
            values: dict[str, object] = {"next_fire_at": following, "last_fired_at": now}
            if job.schedule == ONCE:
                values["enabled"] = False
            claimed = await db.execute(
                update(CronJob)
                .where(
                    and_(
                        CronJob.id == job_id,
                        CronJob.enabled.is_(True),
                        CronJob.next_fire_at == due_at,
                    )
                )
                .values(values)
            )
            await db.commit()
            if getattr(claimed, "rowcount", 0) != 1:
                return False  # another process fired it
            await db.refresh(job)
            missed = as_utc(due_at) < as_utc(now) - MISSED_AFTER
            if missed and job.missed == "skip":
                await self._record_skip(db, job, due_at)
                return False
            await self._fire(db, job, as_utc(due_at), manual=False)
            return True

    async def run_now(self, db: AsyncSession, actor: Actor, job_id: str) -> CronFiring:
        """Fires a job at once, outside its schedule (its schedule goes on as before)."""
        job = await self.jobs.get(db, actor, job_id)
        firing = await self._fire(db, job, utcnow(), manual=True)
        if firing is None:
            raise NexoraError("the job could not be fired; try again")
        return firing

    async def _fire(
        self, db: AsyncSession, job: CronJob, scheduled_for: datetime, *, manual: bool
    ) -> CronFiring | None:
        firing = CronFiring(
            org_id=job.org_id, job_id=job.id, scheduled_for=scheduled_for, manual=manual
        )
        db.add(firing)
        try:
            await db.flush()
        except IntegrityError:
            await db.rollback()
            return None  # this scheduled time has fired already
        task = await self._task(db, job)
        try:
            actor = await acting_as(db, job.org_id, job.owner_id, via="schedule")
            if job.group_id is not None:
                run = await self.runs.create_team_run(db, actor, job.group_id, task)
            else:
                assert job.agent_id is not None
                run = await self.runs.create(db, actor, job.agent_id, task)
        except NexoraError as refused:
            await db.rollback()
            firing = CronFiring(
                org_id=job.org_id,
                job_id=job.id,
                scheduled_for=scheduled_for,
                manual=manual,
                status="failed",
                error=refused.detail[:2000],
            )
            db.add(firing)
            await db.commit()
            log.warning("scheduled job %s could not start: %s", job.id, refused.detail)
            return firing
        await db.execute(update(CronFiring).where(CronFiring.id == firing.id).values(run_id=run.id))
        await db.commit()
        await db.refresh(firing)
        return firing

    async def _task(self, db: AsyncSession, job: CronJob) -> str:
        """The job's task; a watch also sees what it reported last, to say what changed."""
        if not job.only_on_change:
            return job.task
        previous = await db.scalar(
            select(CronFiring.output)
            .where(CronFiring.job_id == job.id, CronFiring.status.in_(("completed", "unchanged")))
            .order_by(CronFiring.scheduled_for.desc())
            .limit(1)
        )
        if not previous:
            return job.task
        return f"{job.task}\n\nYour previous report was:\n{previous[:PREVIOUS_CHARS]}"

    async def _record_skip(self, db: AsyncSession, job: CronJob, due_at: datetime) -> None:
        db.add(
            CronFiring(
                org_id=job.org_id,
                job_id=job.id,
                scheduled_for=as_utc(due_at),
                status="skipped",
                error="missed while no process was running; this job skips missed times",
            )
        )
        try:
            await db.commit()
        except IntegrityError:
            await db.rollback()

    async def on_run_finished(self, run_id: str, _status: RunStatus) -> None:
        """The worker's observer: a firing's result is delivered as soon as its run ends."""
        async with self.db.session() as db:
            firing_id = await db.scalar(
                select(CronFiring.id).where(
                    CronFiring.run_id == run_id, CronFiring.status == "started"
                )
            )
        if firing_id is not None:
            await self.settle(firing_id)

    async def settle_ended(self) -> int:
        async with self.db.session() as db:
            ids = list(
                await db.scalars(
                    select(CronFiring.id)
                    .join(Run, Run.id == CronFiring.run_id)
                    .where(
                        CronFiring.status == "started",
                        Run.status.in_([s.value for s in TERMINAL]),
                    )
                    .limit(BATCH)
                )
            )
        settled = 0
        for firing_id in ids:
            settled += await self.settle(firing_id)
        return settled

    async def settle(self, firing_id: str) -> bool:
        """Records a firing's result and queues its delivery, once."""
        async with self.db.session() as db:
            firing = await db.get(CronFiring, firing_id)
            if firing is None or firing.run_id is None:
                return False
            run = await db.get(Run, firing.run_id)
            job = await db.get(CronJob, firing.job_id)
            if run is None or job is None or run.status not in TERMINAL:
                return False
            output = run.output or ""
            completed = run.status == RunStatus.COMPLETED
            digest = result_hash(output) if completed else None
            unchanged = completed and job.only_on_change and digest == job.last_result_hash
            status = "unchanged" if unchanged else ("completed" if completed else "failed")
            claimed = await db.execute(
                update(CronFiring)
                .where(CronFiring.id == firing.id, CronFiring.status == "started")
                .values(status=status, output=output[:20_000], error=run.error)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                await db.rollback()
                return False
            deliver = job.deliver if completed and not unchanged else None
            if deliver:
                text = f"{job.name}\n\n{output}" if output else job.name
                message = Outbound(conversation_id=str(deliver["to"]), text=text)
                try:
                    await enqueue(db, str(deliver["channel_id"]), message, key=f"cron:{firing.id}")
                    firing.delivered = True
                except NexoraError as lost:  # the channel was deleted since
                    firing.error = f"not delivered: {lost.detail}"
            if digest is not None:
                job.last_result_hash = digest
            await db.commit()
        if deliver:
            self.delivered()
        return True
