"""Workers: claim runs from the database, execute them, keep their leases, honour cancels.

The same class serves the in-process workers of `nexora serve` and the `nexora worker`
processes that scale out on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.pool import AgentPool
from nexora.agents.registry import AgentRegistry
from nexora.errors import NexoraError
from nexora.governance import tool_approvals
from nexora.governance.audit import AuditLog
from nexora.governance.runtime_config import APPROVAL_WAIT_MINUTES, get_config
from nexora.runtime.agent_runs import AgentRuns, fail_orphaned_children
from nexora.runtime.bus import EventBus
from nexora.runtime.events import TERMINAL, EventType, RunStatus
from nexora.runtime.finish import finish_run
from nexora.runtime.notify import RUN_CANCELLED, RUN_QUEUED, Notifier
from nexora.runtime.queue import Lease, LeaseLost, RunQueue
from nexora.runtime.recorder import EventRecorder, next_seq
from nexora.runtime.steps import StepState, Store
from nexora.runtime.titles import TitleWriter
from nexora.runtime.tooling import Tooling
from nexora.runtime.usage import UsageRecorder
from nexora.storage.base import utcnow
from nexora.storage.models import Run

if TYPE_CHECKING:
    from pydantic_ai.tools import DeferredToolRequests

    from nexora.memory.upkeep import MemoryUpkeep
    from nexora.storage.models import MemoryJob


log = logging.getLogger(__name__)

CancelReason = Literal["user", "shutdown", "lease_lost"]
# Told about every run a worker ended (its id and final status), after that is committed.
RunObserver = Callable[[str, RunStatus], Awaitable[object]]
CANCEL_POLL_SECONDS = 0.5


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class _Running:
    lease: Lease
    task: asyncio.Task[None]
    reason: CancelReason | None = None


@dataclass
class WorkerDeps:
    queue: RunQueue
    bus: EventBus
    notifier: Notifier
    agents: AgentRegistry
    pool: AgentPool
    models: Any  # nexora.providers.resolver.ModelResolver
    usage: UsageRecorder
    tooling: Tooling
    titles: TitleWriter
    max_steps: int = 50
    # Between model steps: why a run must stop (a quota reached), or None to go on.
    over_quota: Callable[[Run], Awaitable[str | None]] | None = None
    audit: AuditLog | None = None
    # Keeps each completed run's turns and extracts memories; compresses long sessions.
    memory: MemoryUpkeep | None = None
    # Features that follow runs to their end (a playbook advancing to its next stage). They
    # must not rely on being called: a crash right after the commit skips them.
    observers: list[RunObserver] = field(default_factory=list)
    # Features that follow a run as it goes (a chat channel showing the answer as it is
    # written); called as it starts executing here, before its first event.
    starters: list[Callable[[str], Awaitable[object]]] = field(default_factory=list)


@dataclass
class Worker:
    deps: WorkerDeps
    concurrency: int
    poll_seconds: float = 1.0
    _running: dict[str, _Running] = field(default_factory=dict)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    agent_runs: AgentRuns = field(init=False)

    def __post_init__(self) -> None:
        self.agent_runs = AgentRuns(self.deps)

    def start(self) -> None:
        self.deps.notifier.on(RUN_QUEUED, lambda _: self._wake.set())
        self.deps.notifier.on(RUN_CANCELLED, self._cancel_requested)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._claim_loop(), name="worker-claims"),
            loop.create_task(self._heartbeat_loop(), name="worker-heartbeat"),
            loop.create_task(self._cancel_poll_loop(), name="worker-cancels"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for running in list(self._running.values()):
            self.cancel(running.lease.run_id, "shutdown")
        pending = [r.task for r in self._running.values()] + self._tasks
        await asyncio.gather(*pending, return_exceptions=True)

    def cancel(self, run_id: str, reason: CancelReason) -> bool:
        running = self._running.get(run_id)
        if running is None:
            return self.agent_runs.cancel(run_id)  # perhaps a child of a run executing here
        running.reason = running.reason or reason
        running.task.cancel()
        return True

    def _cancel_requested(self, run_id: str) -> None:
        self.cancel(run_id, "user")

    async def run_now(self, run_id: str) -> bool:
        """Claims and executes one run in the caller's task (the CLI's local mode)."""
        lease = await self.deps.queue.claim(run_id)
        if lease is None:
            return False
        task = asyncio.current_task()
        assert task is not None
        self._running[run_id] = _Running(lease, task)
        await self._execute(lease)
        return True

    @property
    def active_runs(self) -> int:
        return len(self._running)

    async def _claim_loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                while len(self._running) < self.concurrency:
                    lease = await self.deps.queue.claim()
                    if lease is None:
                        break
                    task = asyncio.get_running_loop().create_task(self._execute(lease))
                    self._running[lease.run_id] = _Running(lease, task)
            except Exception:
                log.exception("claiming runs failed; retrying")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    async def _heartbeat_loop(self) -> None:
        interval = max(0.2, self.deps.queue.lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                lost, cancelled = await self.deps.queue.heartbeat(
                    [r.lease for r in self._running.values()]
                )
            except Exception:
                log.exception("heartbeat failed")
                continue
            for run_id in lost:
                self.cancel(run_id, "lease_lost")
            for run_id in cancelled:
                self.cancel(run_id, "user")

    async def _cancel_poll_loop(self) -> None:
        """Without LISTEN/NOTIFY, cancels from other processes are noticed by polling."""
        while True:
            await asyncio.sleep(CANCEL_POLL_SECONDS)
            if self.deps.notifier.crosses_processes or not self._running:
                continue
            try:
                async with self.deps.queue.db.session() as session:
                    ids = await session.scalars(
                        select(Run.id).where(
                            Run.id.in_([*self._running, *self.agent_runs.running_children]),
                            Run.cancel_requested.is_(True),
                        )
                    )
                    for run_id in list(ids):
                        self.cancel(run_id, "user")
            except Exception:
                log.exception("cancel poll failed")

    async def _execute(self, lease: Lease) -> None:
        recorder: EventRecorder | None = None
        try:
            async with self.deps.queue.db.session() as session:
                run = await session.get(Run, lease.run_id)
                assert run is not None
                # A first attempt has no events yet; only a resumed run looks its number up.
                first_seq = 1 if run.attempts == 1 else await next_seq(session, run.id, True)
            recorder = EventRecorder(
                self.deps.queue, self.deps.bus, self.deps.notifier, lease, first_seq
            )
            for start in self.deps.starters:
                try:
                    await start(run.id)
                except Exception:
                    log.exception("run %s: a follower of starting runs failed", run.id)
            await self._run_to_end(run, lease, recorder)
            if self.deps.observers:
                await self._tell_observers(run.id)
        except LeaseLost:
            log.info("run %s: lease lost, another worker continues it", lease.run_id)
        except Exception:
            log.exception("run %s: worker error", lease.run_id)
        finally:
            if recorder is not None:
                await recorder.close()
            self._running.pop(lease.run_id, None)
            self._wake.set()

    async def _tell_observers(self, run_id: str) -> None:
        """Tells the observers of finished runs (a playbook's engine) that this one ended; a
        run parked for approval or released at shutdown has not."""
        async with self.deps.queue.db.session() as session:
            status = await session.scalar(select(Run.status).where(Run.id == run_id))
        if status not in TERMINAL:
            return
        for observe in self.deps.observers:
            try:
                await observe(run_id, RunStatus(status))
            except Exception:
                log.exception("run %s: an observer of finished runs failed", run_id)

    async def _run_to_end(self, run: Run, lease: Lease, recorder: EventRecorder) -> None:
        routing = run.routing or {}
        if routing and run.attempts == 1:  # how chat routed the message opens the trace, once
            await recorder.emit(EventType.ROUTE_CHOSEN, routing)
        if run.group_id is not None:
            await self._run_team(run, lease, recorder)
            return
        # The agent loop (pydantic-ai) loads with the first run, not at start-up.
        from nexora.runtime.executor import RunStopped

        executor = self.agent_runs.step_executor(
            recorder, compact=True, max_steps=routing.get("max_steps")
        )
        state = StepState(run.step_count, run.prompt_tokens, run.completion_tokens, 0)
        try:
            async with self.deps.queue.db.session() as session:
                if run.attempts > 1:  # delegated runs a dead worker left are redone
                    await fail_orphaned_children(session, run.id)
                    await session.commit()
                ready = await self.agent_runs.prepare(session, run, executor)
            output, state, last_step = await executor.execute(
                run, lease, ready.agent, ready.model, ready.toolset, ready.context
            )
        except asyncio.CancelledError:
            await self._stopped(recorder, run, lease, state)
            return
        except LeaseLost:
            raise
        except RunStopped as exc:
            await finish_run(recorder, run, RunStatus.FAILED, exc.state, error=exc.detail)
            return
        except Exception as exc:
            await self._failed(recorder, run, state, exc)
            return
        if not isinstance(output, str):
            await self._pause(recorder, run, output, last_step)
            return
        memory = self.deps.memory
        job = memory.job_for(run, ready.view.config.memory) if memory is not None else None
        also = [last_step] if last_step is not None else []
        if job is not None:
            also.append(_adding(job))
        await finish_run(
            recorder,
            run,
            RunStatus.COMPLETED,
            state,
            output,
            model_ref=executor.model_ref,
            also=also,
        )
        if run.session_id is not None:
            self.deps.titles.schedule(run, ready.model)
        if memory is not None and job is not None:
            memory.schedule(job.id)

    async def _run_team(self, run: Run, lease: Lease, recorder: EventRecorder) -> None:
        """A team run: members' child runs, then the lead's decision (see nexora.teams.run)."""
        from nexora.teams.run.executor import TeamExecutor, TeamFailed

        team = TeamExecutor(self.agent_runs, recorder, self.deps.tooling.memory)
        try:
            outcome = await team.execute(run)
        except asyncio.CancelledError:
            await self._stopped(recorder, run, lease, team.state)
            return
        except LeaseLost:
            raise
        except TeamFailed as exc:
            await finish_run(recorder, run, RunStatus.FAILED, exc.state, error=exc.detail)
            return
        except Exception as exc:
            await self._failed(recorder, run, team.state, exc)
            return
        await finish_run(
            recorder, run, RunStatus.COMPLETED, outcome.state, outcome.decision, also=outcome.also
        )

    async def _stopped(
        self, recorder: EventRecorder, run: Run, lease: Lease, state: StepState
    ) -> None:
        """The run's task was cancelled: by its user (the run ends) or by a shutdown (the run
        goes back to the queue for another worker)."""
        reason = self._running[lease.run_id].reason if lease.run_id in self._running else None
        if reason == "user":
            await asyncio.shield(
                finish_run(recorder, run, RunStatus.CANCELLED, state, error="cancelled by request")
            )
        elif reason == "shutdown":
            with contextlib.suppress(Exception):
                await asyncio.shield(recorder.flush())
            await asyncio.shield(self.deps.queue.release(lease))

    async def _failed(
        self, recorder: EventRecorder, run: Run, state: StepState, exc: Exception
    ) -> None:
        if isinstance(exc, NexoraError):
            detail = exc.detail
        else:
            log.warning("run %s failed: %s", run.id, exc, exc_info=True)
            detail = _describe(exc)
        await finish_run(recorder, run, RunStatus.FAILED, state, error=detail)

    async def _pause(
        self,
        recorder: EventRecorder,
        run: Run,
        deferred: DeferredToolRequests,
        last_step: Store | None,
    ) -> None:
        """Parks the run until humans decide its tool calls; the worker slot is free at once."""
        async with self.deps.queue.db.session() as session:
            minutes = await get_config(session, run.org_id, APPROVAL_WAIT_MINUTES)
        expires_at = utcnow() + timedelta(minutes=minutes)
        pending = tool_approvals.requests_for(run, deferred, expires_at)
        for call in pending:
            await recorder.emit(
                EventType.TOOL_REQUIRES_APPROVAL,
                {
                    "tool": call.tool,
                    "call_id": call.call_id,
                    "approval_id": call.approval.id,
                    "approver": call.approval.payload["approver"],
                    "danger": call.approval.risk,
                    "reasons": call.approval.findings,
                    "expires_at": expires_at.isoformat(),
                },
            )

        async def park(session: AsyncSession) -> None:
            if last_step is not None:
                await last_step(session)
            session.add_all([call.approval for call in pending])
            await session.execute(
                update(Run)
                .where(Run.id == run.id)
                .values(status=RunStatus.WAITING_APPROVAL, lease_owner=None, lease_expires_at=None)
                .execution_options(synchronize_session=False)
            )

        await recorder.flush(also=park)


def _adding(job: MemoryJob) -> Store:
    async def add(session: AsyncSession) -> None:
        session.add(job)

    return add


def _describe(exc: Exception) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:2000]
