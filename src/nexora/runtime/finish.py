"""Ends a run: its terminal event, stored in one transaction with its final state and whatever
must be written with it (the last checkpoint, the job keeping its memory, a team's
blackboard entry), so a crash right after loses none of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.runtime.events import EventType, RunStatus
from nexora.runtime.recorder import EventRecorder
from nexora.runtime.steps import StepState, Store
from nexora.storage.base import utcnow
from nexora.storage.models import Run

_TERMINAL_EVENT = {
    RunStatus.COMPLETED: EventType.RUN_COMPLETED,
    RunStatus.FAILED: EventType.RUN_FAILED,
    RunStatus.CANCELLED: EventType.RUN_CANCELLED,
}


async def finish_run(
    recorder: EventRecorder,
    run: Run,
    status: RunStatus,
    state: StepState,
    output: str | None = None,
    error: str | None = None,
    *,
    model_ref: str | None = None,
    also: Sequence[Store] = (),
) -> None:
    usage = {
        "prompt_tokens": state.prompt_tokens,
        "completion_tokens": state.completion_tokens,
        "total_tokens": state.prompt_tokens + state.completion_tokens,
    }
    payload: dict[str, Any] = {"status": status.value, "usage": usage}
    if output is not None:
        payload["output"] = output
    if error is not None:
        payload["error"] = error

    ended: dict[str, Any] = {
        "status": status,
        "output": output,
        "error": error,
        "finished_at": utcnow(),
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if model_ref is not None:
        ended["model"] = model_ref

    async def mark(session: AsyncSession) -> None:
        for store in also:
            await store(session)
        await session.execute(
            update(Run)
            .where(Run.id == run.id)
            .values(**ended)
            .execution_options(synchronize_session=False)
        )

    await recorder.finish(_TERMINAL_EVENT[status], payload, mark)
