"""Who an agent may hand a sub-task to, and running that sub-task as a child run.

A target is reachable when it is in the run's org, the run's user may use it (a grant, or an
admin), and the calling agent's `delegate_to` names it (or is "*"). Depth (counting parent
runs) and the number of children per run are bounded by settings, so agents asking each
other cannot recurse or fan out without end. Refusals are tool results the model can read.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.config import AgentFile
from nexora.runtime.events import EventType
from nexora.storage.models import AgentGrant, AgentRecord, Membership, Run
from nexora.tools.base import ToolContext
from nexora.tools.builtin.ask_agent import DELEGATION_KEY

if TYPE_CHECKING:
    from nexora.runtime.agent_runs import AgentRuns

__all__ = ["DELEGATION_KEY", "Delegation"]

ANSWER_CHARS = 20_000  # of the child's answer, as the tool result


class Refused(Exception):
    """Why this delegation may not happen; the message is the tool's result."""


class Delegation:
    """The delegator of one run (`ToolContext.extra[DELEGATION_KEY]`)."""

    def __init__(self, runs: AgentRuns, run: Run, config: AgentFile) -> None:
        self.runs = runs
        self.run = run
        self.config = config
        # A model may ask several agents in one step; the limits are checked one call at a
        # time so calls running together cannot all pass the fan-out check.
        self._lock = asyncio.Lock()

    async def ask(self, agent: str, task: str, context: ToolContext) -> str:
        settings = self.runs.deps.tooling.settings
        try:
            async with self._lock:
                async with self.runs.deps.queue.db.session() as session:
                    target = await self._target(session, agent)
                    await self._check_limits(
                        session, settings.delegation_max_depth, settings.delegation_max_children
                    )
                child = await self.runs.start_child(self.run, target.id, task)
        except Refused as exc:
            return f"Delegation refused: {exc}"
        if context.emit is not None:
            await context.emit(
                EventType.DELEGATION_STARTED,
                {
                    "child_run_id": child.id,
                    "agent_id": target.id,
                    "agent": target.name,
                    "task": task[:2000],
                },
            )
        result = await self.runs.run_child(child)
        if context.emit is not None:
            finished = {"child_run_id": child.id, "agent_id": target.id, "status": result.status}
            if result.error is not None:
                finished["error"] = result.error
            await context.emit(EventType.DELEGATION_FINISHED, finished)
        if not result.ok:
            return f"{target.name} could not finish the task (run {child.id}): {result.error}"
        return (result.output or "")[:ANSWER_CHARS]

    async def _target(self, session: AsyncSession, wanted: str) -> AgentRecord:
        run = self.run
        target = await session.scalar(
            select(AgentRecord)
            .where(
                AgentRecord.org_id == run.org_id,
                (AgentRecord.id == wanted) | (AgentRecord.name == wanted),
            )
            .limit(1)
        )
        if target is None:
            raise Refused(f"there is no agent {wanted!r}")
        allowed = self.config.delegate_to
        if "*" not in allowed and target.name not in allowed and target.id not in allowed:
            raise Refused(
                f"this agent may not delegate to {target.name!r} (its delegate_to setting "
                "does not name it)"
            )
        role = await session.scalar(
            select(Membership.role).where(
                Membership.org_id == run.org_id, Membership.user_id == run.user_id
            )
        )
        if role != "admin":
            granted = await session.scalar(
                select(AgentGrant.id).where(
                    AgentGrant.user_id == run.user_id, AgentGrant.agent_id == target.id
                )
            )
            if granted is None:
                raise Refused(f"the user of this run has no grant for {target.name!r}")
        return target

    async def _check_limits(self, session: AsyncSession, max_depth: int, max_children: int) -> None:
        depth = 1  # the child's: one below this run
        parent_id = self.run.parent_run_id
        while parent_id is not None and depth <= max_depth:
            depth += 1
            parent_id = await session.scalar(select(Run.parent_run_id).where(Run.id == parent_id))
        if depth > max_depth:
            raise Refused(f"delegated runs may nest at most {max_depth} deep")
        children = await session.scalar(
            select(func.count()).select_from(Run).where(Run.parent_run_id == self.run.id)
        )
        if (children or 0) >= max_children:
            raise Refused(f"one run may start at most {max_children} sub-runs")
