"""Jobs agents schedule for themselves (`schedule_task`), within limits: a number of jobs per
agent, and nothing more frequent than a set interval, so a model cannot flood the scheduler."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.acting import acting_as
from nexora.automation.jobs import CronIn, CronJobs, Deliver
from nexora.automation.schedule import check_schedule, shortest_gap
from nexora.errors import NexoraError
from nexora.storage.base import new_id
from nexora.storage.db import Database
from nexora.storage.models import ChannelSession, Run
from nexora.tools.base import ToolContext
from nexora.tools.builtin.schedule_task import ScheduleTaskInput

MAX_JOBS_PER_AGENT = 20
MIN_GAP = timedelta(minutes=5)


class AgentScheduler:
    def __init__(self, db: Database, jobs: CronJobs) -> None:
        self.db = db
        self.jobs = jobs

    async def schedule(self, args: ScheduleTaskInput, context: ToolContext) -> str:
        if context.user_id is None:
            return "Scheduling needs a run with a user; this one has none."
        if (args.schedule is None) == (args.at is None):
            return "Give either `schedule` (cron, repeating) or `at` (a one-off time)."
        try:
            if args.schedule is not None:
                expression = check_schedule(args.schedule)
                if shortest_gap(expression, args.timezone) < MIN_GAP:
                    return f"Refused: scheduled tasks may repeat at most every {MIN_GAP}."
            async with self.db.session() as db:
                if await self.jobs.count_by_agent(db, context.agent_id) >= MAX_JOBS_PER_AGENT:
                    return f"Refused: this agent already keeps {MAX_JOBS_PER_AGENT} tasks."
                actor = await acting_as(db, context.org_id, context.user_id, via="schedule")
                body = CronIn(
                    name=f"{args.task[:60].strip()} ({new_id()[:8]})",
                    agent_id=context.agent_id,
                    schedule=args.schedule,
                    at=args.at,
                    timezone=args.timezone,
                    task=args.task,
                    deliver=await self._back_to_chat(db, context.run_id),
                )
                job = await self.jobs.create(db, actor, body, created_by_run_id=context.run_id)
        except NexoraError as refused:
            return f"Refused: {refused.detail}"
        when = f"at {job.next_fire_at:%Y-%m-%d %H:%M} UTC" if args.at else f"on '{job.schedule}'"
        where = " Its result will be sent to this chat." if job.deliver else ""
        return f"Scheduled (job {job.id}) {when}.{where}"

    async def _back_to_chat(self, db: AsyncSession, run_id: str) -> Deliver | None:
        """The chat conversation this run answers, when it came from a channel."""
        found = (
            await db.execute(
                select(ChannelSession.channel_id, ChannelSession.conversation_id)
                .join(Run, Run.session_id == ChannelSession.session_id)
                .where(Run.id == run_id)
                .limit(1)
            )
        ).first()
        if found is None:
            return None
        return Deliver(channel_id=found.channel_id, to=found.conversation_id)
