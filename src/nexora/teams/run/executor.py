"""Executes a team run: each member works on the task, in `position` order (serial: each sees
what the members before it proposed) or all at once (parallel); then the lead reads every
proposal and decides. The decision is the run's output.

Every member's work is a child run of the team run, checkpointed in the team run as a
"member" step when it ends; a resumed team run skips the members it has steps for, so their
model calls are not repeated. A member that fails is reported and left out of the decision;
the run fails only when every member (or the lead) does.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import NexoraError
from nexora.memory.service import Memory
from nexora.runtime.agent_runs import AgentRuns, fail_orphaned_children
from nexora.runtime.events import EventType
from nexora.runtime.recorder import EventRecorder
from nexora.runtime.steps import StepState, Store
from nexora.storage.models import Group, Run, RunStep
from nexora.teams.run.member import MemberWork
from nexora.teams.run.outcome import outcome_store, outcome_text
from nexora.teams.run.prompts import lead_task, member_task
from nexora.teams.run.record import MEMBER_STEP, Contribution
from nexora.teams.run.roster import MODES, Mode, Roster, Seat, load_roster

LEAD_STEP = "lead"
MODE_KEY = "team_mode"  # in a team run's `context`: [{"team_mode": "serial"}]


def team_context(mode: Mode) -> list[dict[str, Any]]:
    """What a team run stores in its `context` (it has no caller-supplied messages)."""
    return [{MODE_KEY: mode}]


def mode_of(run: Run, group: Group) -> Mode:
    for entry in run.context or []:
        if isinstance(entry, dict) and entry.get(MODE_KEY) in MODES:
            return entry[MODE_KEY]  # type: ignore[no-any-return]
    return "parallel" if group.default_mode == "parallel" else "serial"


class TeamFailed(NexoraError):
    def __init__(self, detail: str, state: StepState) -> None:
        super().__init__(detail)
        self.state = state


@dataclass
class TeamOutcome:
    decision: str
    state: StepState
    also: list[Store] = field(default_factory=list)


class TeamExecutor:
    """Runs one claimed team run; the worker owns claiming, cancelling and finishing."""

    def __init__(self, runs: AgentRuns, recorder: EventRecorder, memory: Memory | None) -> None:
        self.runs = runs
        self.recorder = recorder
        self.memory = memory
        self.state = StepState(0, 0, 0, 0)

    async def execute(self, run: Run) -> TeamOutcome:
        assert run.group_id is not None
        async with self.recorder.db.session() as session:
            roster = await load_roster(session, run.group_id)
            done = await _done_members(session, run) if run.attempts > 1 else {}
            if run.attempts > 1:
                await fail_orphaned_children(session, run.id)
                await session.commit()
        mode = mode_of(run, roster.group)
        await self.recorder.emit(
            EventType.RUN_RESUMED if run.attempts > 1 else EventType.RUN_STARTED,
            {
                "agent_id": run.agent_id,
                "group_id": run.group_id,
                "mode": mode,
                "lead": roster.lead.payload(),
                "members": [seat.payload() for seat in roster.members],
                "attempt": run.attempts,
                "from_step": len(done),
            },
        )
        for contribution in done.values():
            self._count(contribution)
        counter = itertools.count(len(done))
        work = MemberWork(self.runs, self.recorder, run, lambda: next(counter))
        if mode == "serial":
            contributions = await self._serial(work, run.input, roster, done)
        else:
            contributions = await self._parallel(work, run.input, roster, done)
        if not any(c.ok for c in contributions):
            reasons = "; ".join(f"{c.agent}: {c.error}" for c in contributions)
            raise TeamFailed(f"every member of the team failed ({reasons})", self.state)
        return await self._decide(work, run, roster.lead, contributions)

    async def _serial(
        self, work: MemberWork, task: str, roster: Roster, done: dict[str, Contribution]
    ) -> list[Contribution]:
        contributions: list[Contribution] = []
        for seat in roster.members:
            found = done.get(seat.member_id)
            if found is None:
                found = self._count(await work.contribute(seat, member_task(task, contributions)))
            contributions.append(found)
        return contributions

    async def _parallel(
        self, work: MemberWork, task: str, roster: Roster, done: dict[str, Contribution]
    ) -> list[Contribution]:
        todo = [seat for seat in roster.members if seat.member_id not in done]
        # A task group: if one member's work breaks (the lease is lost), the others stop too.
        async with asyncio.TaskGroup() as group:
            tasks = {
                seat.member_id: group.create_task(work.contribute(seat, member_task(task, ())))
                for seat in todo
            }
        for task_of in tasks.values():
            self._count(task_of.result())
        found = {**done, **{member: t.result() for member, t in tasks.items()}}
        return [found[seat.member_id] for seat in roster.members]

    async def _decide(
        self, work: MemberWork, run: Run, lead: Seat, contributions: list[Contribution]
    ) -> TeamOutcome:
        decision = await work.work(lead, lead_task(run.input, contributions), lead=True)
        self._count(decision)
        if not decision.ok:
            raise TeamFailed(f"the lead could not decide: {decision.error}", self.state)
        await self.recorder.emit(
            EventType.MESSAGE_DECISION,
            {
                **lead.payload(),
                "child_run_id": decision.child_run_id,
                "text": decision.proposal,
                "contributors": [
                    {"agent_id": c.agent_id, "agent": c.agent, "role": c.role}
                    for c in contributions
                    if c.ok
                ],
            },
        )
        also = [work.step(decision, LEAD_STEP)]
        if self.memory is not None:
            text = outcome_text(run.input, decision, contributions)
            also.append(outcome_store(self.memory, run, text))
        return TeamOutcome(decision.proposal or "", self.state, also)

    def _count(self, contribution: Contribution) -> Contribution:
        self.state.index += 1
        self.state.prompt_tokens += contribution.prompt_tokens
        self.state.completion_tokens += contribution.completion_tokens
        return contribution


async def _done_members(session: AsyncSession, run: Run) -> dict[str, Contribution]:
    steps = await session.scalars(
        select(RunStep)
        .where(RunStep.run_id == run.id, RunStep.kind == MEMBER_STEP)
        .order_by(RunStep.index)
    )
    found = (Contribution.of_step(step.messages) for step in steps)
    return {c.member_id: c for c in found}
