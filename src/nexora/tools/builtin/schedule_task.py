"""`schedule_task`: an agent sets up its own follow-up, once or on a schedule.

The job runs as the run's user, with this agent, and its result goes back to the chat the run
came from. The runtime puts the run's scheduler in `ToolContext.extra[SCHEDULER_KEY]`, which
applies the limits (how many jobs an agent may keep, how often they may fire)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.verdict import Danger
from nexora.tools.base import ToolContext, ToolSpec

SCHEDULER_KEY = "scheduler"


class ScheduleTaskInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str = Field(
        min_length=1,
        max_length=5_000,
        description="What to do then, complete in itself: it runs as a new conversation.",
    )
    schedule: str | None = Field(
        default=None,
        max_length=120,
        description="A 5-field cron expression for a repeating task, e.g. '0 9 * * 1-5'.",
    )
    at: datetime | None = Field(
        default=None, description="An ISO 8601 time for a one-off task, e.g. 2026-12-01T09:00Z."
    )
    timezone: str = Field(default="UTC", max_length=64, description="The IANA time zone.")


class TaskScheduler(Protocol):
    async def schedule(self, args: ScheduleTaskInput, context: ToolContext) -> str: ...


async def run(args: ScheduleTaskInput, context: ToolContext) -> str:
    scheduler: TaskScheduler | None = context.extra.get(SCHEDULER_KEY)
    if scheduler is None:
        return "Scheduling is not available here."
    return await scheduler.schedule(args, context)


SPEC = ToolSpec(
    name="schedule_task",
    description=(
        "Schedule a follow-up for yourself: a task to do later (`at`) or repeatedly "
        "(`schedule`, cron). The result is sent to this conversation's chat when there is one."
    ),
    input_model=ScheduleTaskInput,
    danger=Danger.MEDIUM,
    run=run,
)
