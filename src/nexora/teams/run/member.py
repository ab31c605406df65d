"""One seat's work in a team run: the task message, the member's own child run, what it
proposes and the evidence it used, and the member's checkpoint in the team run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.runtime.agent_runs import AgentRuns, ChildResult
from nexora.runtime.events import EventType
from nexora.runtime.recorder import EventRecorder
from nexora.runtime.service import stored_events
from nexora.runtime.steps import Store
from nexora.storage.base import new_id, utcnow
from nexora.storage.models import Run, RunStep
from nexora.teams.run.record import MEMBER_STEP, Contribution, Evidence
from nexora.teams.run.roster import Seat

MAX_EVIDENCE = 10  # tool results kept per member
# Tools whose results are the member's own writing, not evidence it found.
NOT_EVIDENCE = frozenset({"blackboard_write", "core_memory_append", "core_memory_replace"})


class MemberWork:
    def __init__(
        self, runs: AgentRuns, recorder: EventRecorder, run: Run, next_index: Callable[[], int]
    ) -> None:
        self.runs = runs
        self.recorder = recorder
        self.run = run
        self.next_index = next_index  # checkpoint numbers, in the order members finish

    async def contribute(self, seat: Seat, task: str) -> Contribution:
        """The member's proposal (or why it failed), checkpointed before this returns."""
        contribution = await self.work(seat, task)
        await self.recorder.flush(also=self.step(contribution, MEMBER_STEP))
        return contribution

    async def work(self, seat: Seat, task: str, *, lead: bool = False) -> Contribution:
        """Runs the seat's agent on `task`; its answer goes out as a proposal (the lead's
        caller announces the lead's answer as the decision instead)."""
        assert self.run.group_id is not None
        child = await self.runs.start_child(self.run, seat.agent_id, task)
        about = {**seat.payload(), "child_run_id": child.id}
        await self.recorder.emit(EventType.MESSAGE_TASK, {**about, "task": task})
        await self.recorder.emit(EventType.MESSAGE_STATUS, {**about, "status": "working"})
        # Stored at once: a crash during the member's work still shows who was working on what.
        await self.recorder.flush()
        result = await self.runs.run_child(child, seat.extras(self.run.group_id))
        evidence = await self._evidence(child.id) if result.ok else []
        contribution = _contribution(seat, result, evidence)
        if not result.ok:
            await self.recorder.emit(
                EventType.MESSAGE_STATUS, {**about, "status": "failed", "error": result.error}
            )
            return contribution
        if evidence:
            await self.recorder.emit(
                EventType.MESSAGE_EVIDENCE,
                {**about, "evidence": [e.model_dump() for e in evidence]},
            )
        if not lead:
            await self.recorder.emit(EventType.MESSAGE_PROPOSAL, {**about, "text": result.output})
        await self.recorder.emit(EventType.MESSAGE_STATUS, {**about, "status": "done"})
        return contribution

    def step(self, contribution: Contribution, kind: str) -> Store:
        """The checkpoint: the contribution and its tokens, added to the team run's totals."""
        run_id, index = self.run.id, self.next_index()
        used = (contribution.prompt_tokens, contribution.completion_tokens)

        async def store(session: AsyncSession) -> None:
            session.add(
                RunStep(
                    id=new_id(),
                    run_id=run_id,
                    index=index,
                    kind=kind,
                    messages=contribution.as_step(),
                    prompt_tokens=used[0],
                    completion_tokens=used[1],
                    created_at=utcnow(),
                )
            )
            values: dict[str, Any] = {
                "step_count": Run.step_count + 1,
                "prompt_tokens": Run.prompt_tokens + used[0],
                "completion_tokens": Run.completion_tokens + used[1],
            }
            await session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

        return store

    async def _evidence(self, child_id: str) -> list[Evidence]:
        async with self.runs.deps.queue.db.session() as session:
            results = await stored_events(
                session, child_id, types=[EventType.TOOL_RESULT], limit=200
            )
        found = [
            Evidence.of(str(e.payload.get("tool", "")), str(e.payload.get("content", "")))
            for e in results
            if e.payload.get("tool") not in NOT_EVIDENCE
        ]
        return found[:MAX_EVIDENCE]


def _contribution(seat: Seat, result: ChildResult, evidence: list[Evidence]) -> Contribution:
    return Contribution(
        member_id=seat.member_id,
        agent_id=seat.agent_id,
        agent=seat.agent_name,
        role=seat.role,
        child_run_id=result.run_id,
        status="done" if result.ok else "failed",
        proposal=result.output,
        evidence=evidence,
        error=result.error,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
    )
