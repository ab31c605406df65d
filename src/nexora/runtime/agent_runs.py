"""Preparing one agent's run, and running an agent inline as a child of another run.

The worker prepares every run here (agent, model, tools under one policy, tool context). A
child run (a team member's work, a delegated sub-task) is a real `Run` row with its own
events and checkpoints, executed by the task of the run that needs it rather than queued:
a parent waiting on a queued child could otherwise hold the last worker slot the child needs.
A child is never claimable (it has no lease expiry); if its worker dies, the parent's next
attempt marks it failed and starts the work again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.pool import ActiveAgent
from nexora.agents.registry import AgentView
from nexora.errors import NexoraError
from nexora.runtime.events import ACTIVE, RunStatus
from nexora.runtime.finish import finish_run
from nexora.runtime.queue import Lease
from nexora.runtime.recorder import EventRecorder
from nexora.runtime.steps import ModelHandle, StepState, Store
from nexora.runtime.tooling import RunExtras
from nexora.storage.base import new_id, utcnow
from nexora.storage.models import Run
from nexora.tools.base import ToolContext

if TYPE_CHECKING:
    from nexora.runtime.executor import StepExecutor
    from nexora.runtime.worker import WorkerDeps
    from nexora.tools.toolset import GovernedToolset

log = logging.getLogger(__name__)

NEEDS_HUMAN = (
    "a tool call needed a person's approval, which a run started by another run cannot wait "
    "for; allow the tool in the agent's policy or run the agent directly"
)


# How a child's agent loop ended: status, steps and tokens, output, error, what to store.
_Ended = tuple[RunStatus, StepState, str | None, str | None, list[Store]]


@dataclass(frozen=True, slots=True)
class Prepared:
    view: AgentView
    model: ModelHandle
    agent: ActiveAgent
    toolset: GovernedToolset
    context: ToolContext


@dataclass(frozen=True, slots=True)
class ChildResult:
    run_id: str
    agent_id: str
    status: RunStatus
    output: str | None
    error: str | None
    prompt_tokens: int
    completion_tokens: int

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.COMPLETED


class AgentRuns:
    def __init__(self, deps: WorkerDeps) -> None:
        self.deps = deps
        self._children: dict[str, asyncio.Future[_Ended]] = {}

    def step_executor(
        self, recorder: EventRecorder, *, compact: bool, max_steps: int | None = None
    ) -> StepExecutor:
        """`max_steps` raises the step budget (a message routed "deep")."""
        from nexora.runtime.executor import StepExecutor

        memory = self.deps.memory
        return StepExecutor(
            recorder,
            self.deps.usage,
            max_steps or self.deps.max_steps,
            guard=self.deps.over_quota,
            audit=self.deps.audit,
            compactor=memory.compactor() if compact and memory is not None else None,
        )

    async def prepare(
        self,
        session: AsyncSession,
        run: Run,
        executor: StepExecutor,
        extras: RunExtras | None = None,
    ) -> Prepared:
        from nexora.teams.delegation import DELEGATION_KEY, Delegation

        view = await self.deps.agents.for_run(session, run.org_id, run.agent_id)
        resolved = await self.deps.models.resolve(session, run.org_id, view.config.model)
        agent = self.deps.pool.acquire(view)
        routing = run.routing or {}
        toolset, context = await self.deps.tooling.for_run(
            session,
            run,
            view,
            agent,
            executor,
            extras,
            offer_tools=routing.get("route") != "fast",
            confirm_all=bool(routing.get("confirm")),
        )
        context.extra[DELEGATION_KEY] = Delegation(self, run, view.config)
        model = ModelHandle(resolved.provider, resolved.model_name, resolved.model)
        return Prepared(view, model, agent, toolset, context)

    async def start_child(self, parent: Run, agent_id: str, task: str) -> Run:
        """The child's row, owned by this worker from the start (never queued)."""
        now = utcnow()
        child = Run(
            id=new_id(),
            org_id=parent.org_id,
            agent_id=agent_id,
            user_id=parent.user_id,
            parent_run_id=parent.id,
            input=task,
            context=[],
            status=RunStatus.RUNNING,
            lease_owner=self.deps.queue.owner,
            lease_epoch=1,
            attempts=1,
            started_at=now,
        )
        async with self.deps.queue.db.session() as session:
            session.add(child)
            await session.commit()
        return child

    async def run_child(self, child: Run, extras: RunExtras | None = None) -> ChildResult:
        """Executes a child to its end. A cancelled parent cancels it (and is re-raised); a
        child cancelled on its own ends as cancelled and its parent goes on."""
        deps = self.deps
        lease = Lease(child.id, child.org_id, deps.queue.owner, child.lease_epoch)
        recorder = EventRecorder(deps.queue, deps.bus, deps.notifier, lease, 1)
        executor = self.step_executor(recorder, compact=False)
        # Its own task, so that cancelling the child alone does not cancel its parent.
        work = asyncio.ensure_future(self._execute(child, lease, executor, extras))
        self._children[child.id] = work
        try:
            status, state, output, error, also = await work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            by_parent = current is not None and current.cancelling() > 0
            why = "cancelled with the run that started it" if by_parent else "cancelled by request"
            status, output, error, also = RunStatus.CANCELLED, None, why, []
            state = StepState(0, 0, 0, 0)
            if by_parent:
                with contextlib.suppress(Exception):
                    await asyncio.shield(finish_run(recorder, child, status, state, error=why))
                await recorder.close()
                raise
        finally:
            self._children.pop(child.id, None)
        try:
            await finish_run(
                recorder,
                child,
                status,
                state,
                output,
                error,
                model_ref=executor.model_ref,
                also=also,
            )
        finally:
            await recorder.close()
        return ChildResult(
            child.id,
            child.agent_id,
            status,
            output,
            error,
            state.prompt_tokens,
            state.completion_tokens,
        )

    def cancel(self, run_id: str) -> bool:
        """Cancels a child this process is running; False when it runs nowhere here."""
        work = self._children.get(run_id)
        if work is None:
            return False
        work.cancel()
        return True

    @property
    def running_children(self) -> list[str]:
        return list(self._children)

    async def _execute(
        self, child: Run, lease: Lease, executor: StepExecutor, extras: RunExtras | None
    ) -> _Ended:
        """The child's agent loop: (status, state, output, error, what to store with its end)."""
        from nexora.runtime.executor import RunStopped

        state = StepState(0, 0, 0, 0)
        try:
            async with self.deps.queue.db.session() as session:
                ready = await self.prepare(session, child, executor, extras)
            result, state, last_step = await executor.execute(
                child, lease, ready.agent, ready.model, ready.toolset, ready.context
            )
        except RunStopped as exc:
            return RunStatus.FAILED, exc.state, None, exc.detail, []
        except NexoraError as exc:
            return RunStatus.FAILED, state, None, exc.detail, []
        except Exception as exc:
            log.warning("child run %s failed: %s", child.id, exc, exc_info=True)
            return RunStatus.FAILED, state, None, f"{exc.__class__.__name__}: {exc}"[:2000], []
        if not isinstance(result, str):
            return RunStatus.FAILED, state, None, NEEDS_HUMAN, []
        return RunStatus.COMPLETED, state, result, None, [last_step] if last_step else []


async def fail_orphaned_children(session: AsyncSession, parent_id: str) -> list[str]:
    """Children a dead worker left unfinished: their parent is about to redo that work."""
    rows = await session.scalars(
        select(Run.id).where(Run.parent_run_id == parent_id, Run.status.in_(list(ACTIVE)))
    )
    orphans = list(rows)
    if orphans:
        values: dict[str, Any] = {
            "status": RunStatus.FAILED,
            "error": "interrupted: the worker running it stopped",
            "finished_at": utcnow(),
            "lease_owner": None,
        }
        await session.execute(
            update(Run)
            .where(Run.id.in_(orphans))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return orphans
