"""Drives playbook runs from stage to stage, from durable state only.

A stage execution is an ordinary agent run. When it ends, `advance` judges it (artifacts
delivered? review decided? failed? past its timeout?) and, in one transaction, records the
verdict and starts what comes next: the next stage, the same stage again, the stage a review
sent the work back to, the owner's turn, or the end. Two callers drive it: the worker's
observer of finished runs (at once) and a periodic reconcile (so a crash between a run's end
and its observer never strands a playbook). Both may call it for the same run at once: the
playbook run's version counter lets only one transition commit.

Retries: a stage may run again `retries` times after it failed, timed out or had its work
rejected by a review; one more and the run waits for its owner, who takes the stage over by
hand or aborts. An owner's own rejection always sends the work back, whatever the count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from nexora.agents.registry import AgentRegistry
from nexora.auth.acting import acting_as
from nexora.config import Settings
from nexora.errors import NexoraError, NotFound
from nexora.periodic import Periodic
from nexora.runtime.events import ACTIVE, RunStatus
from nexora.runtime.service import RunService
from nexora.storage.base import new_id, utcnow
from nexora.storage.db import Database
from nexora.storage.models import PlaybookRun, Run, StageExecution
from nexora.teams.playbooks.artifacts import ArtifactStore
from nexora.teams.playbooks.definition import PlaybookDef, StageDef
from nexora.teams.playbooks.handoff import DONE, build_handoff

log = logging.getLogger(__name__)

RECONCILE_BATCH = 100
UNSUCCESSFUL = frozenset({"failed", "timed_out"})


@dataclass(frozen=True, slots=True)
class Next:
    """What follows a judged stage."""

    kind: Literal["stage", "owner", "done"]
    index: int = 0
    note: str | None = None


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def definition_of(run: PlaybookRun) -> PlaybookDef:
    return PlaybookDef.model_validate(run.definition["playbook"])


def agent_of(run: PlaybookRun, index: int) -> str:
    agent_id: str = run.definition["agents"][index]
    return agent_id


async def executions_of(session: AsyncSession, playbook_run_id: str) -> list[StageExecution]:
    rows = await session.scalars(
        select(StageExecution)
        .where(StageExecution.playbook_run_id == playbook_run_id)
        .order_by(StageExecution.seq)
    )
    return list(rows)


def retries_used(executions: list[StageExecution], stage: StageDef, index: int) -> int:
    failed = sum(1 for e in executions if e.stage_index == index and e.status in UNSUCCESSFUL)
    sent_back = sum(
        1
        for e in executions
        if e.status == "rejected" and (e.review or {}).get("back_to") == stage.name
    )
    return failed + sent_back


def next_after(
    definition: PlaybookDef,
    executions: list[StageExecution],
    judged: StageExecution,
    *,
    by_owner: bool = False,
) -> Next:
    """The transition after `judged` (already in `executions` with its final status)."""
    stage = definition.stages[judged.stage_index]
    if judged.status == "rejected":
        assert stage.review is not None
        target = definition.index_of(stage.review.on_reject)
        reason = (judged.review or {}).get("reason") or "no reason given"
        note = f"The review at stage {stage.name!r} rejected the work: {reason}"
        if not by_owner and retries_used(executions, definition.stages[target], target) > (
            definition.stages[target].retries
        ):
            return Next(
                "owner", target, f"stage {stage.review.on_reject!r} used its retries; {note}"
            )
        return Next("stage", target, note)
    if judged.status in UNSUCCESSFUL:
        note = judged.note or f"the stage {judged.status.replace('_', ' ')}"
        if retries_used(executions, stage, judged.stage_index) > stage.retries:
            return Next(
                "owner", judged.stage_index, f"stage {stage.name!r} used its retries: {note}"
            )
        return Next("stage", judged.stage_index, f"The previous attempt {note}.")
    if judged.stage_index + 1 >= len(definition.stages):
        return Next("done")
    return Next("stage", judged.stage_index + 1)


def judge(stage: StageDef, execution: StageExecution, run: Run | None) -> tuple[str, str | None]:
    """The finished stage run's verdict: a status and, when it was not successful, why."""
    if run is None:
        return "failed", "lost its run"
    if run.status != RunStatus.COMPLETED:
        return "failed", f"ended {run.status}: {run.error or 'no reason given'}"
    delivered = {ref["kind"] for ref in execution.output_refs}
    missing = [kind for kind in stage.delivers if kind not in delivered]
    if missing:
        return "failed", f"did not deliver the required artifacts: {', '.join(missing)}"
    if stage.review is not None:
        decision = (execution.review or {}).get("decision")
        if decision is None:
            return "failed", "did not call review_decision"
        return ("approved" if decision == "approve" else "rejected"), None
    return "completed", None


def _verdict(
    stage: StageDef, execution: StageExecution, run: Run | None
) -> tuple[str, str | None] | None:
    """The stage's verdict, or None while its run works within the stage's timeout."""
    if run is None or run.status not in ACTIVE:
        return judge(stage, execution, run)
    deadline = _aware(execution.started_at) + timedelta(minutes=stage.timeout_minutes)
    if utcnow() < deadline:
        return None
    return "timed_out", f"timed out after {stage.timeout_minutes:g} min"


@dataclass
class PlaybookEngine:
    db: Database
    runs: RunService
    agents: AgentRegistry
    settings: Settings
    vault: ArtifactStore | None = None

    def __post_init__(self) -> None:
        self._periodic = Periodic(
            "playbook-reconcile", self.settings.playbook_reconcile_seconds, self.reconcile
        )

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def on_run_finished(self, run_id: str, _status: RunStatus) -> None:
        """The worker's observer: a finished stage run moves its playbook on at once."""
        async with self.db.session() as session:
            playbook_run_id = await session.scalar(
                select(StageExecution.playbook_run_id).where(StageExecution.run_id == run_id)
            )
        if playbook_run_id is not None:
            await self.advance(playbook_run_id)

    async def reconcile(self) -> int:
        """Advances every running playbook whose stage has ended or outlived its timeout."""
        async with self.db.session() as session:
            ids = list(
                await session.scalars(
                    select(PlaybookRun.id)
                    .where(PlaybookRun.status == "running")
                    .order_by(PlaybookRun.updated_at)
                    .limit(RECONCILE_BATCH)
                )
            )
        moved = 0
        for playbook_run_id in ids:
            try:
                moved += await self.advance(playbook_run_id)
            except Exception:
                log.exception("playbook run %s: advancing failed", playbook_run_id)
        return moved

    async def advance(self, playbook_run_id: str) -> bool:
        """Judges the current stage if its run has ended (or timed out) and starts what
        follows. Idempotent: False when there was nothing to do or another caller did it."""
        cancel: str | None = None
        try:
            async with self.db.session() as session:
                run = await session.get(PlaybookRun, playbook_run_id)
                if run is None or run.status != "running":
                    return False
                executions = await executions_of(session, run.id)
                definition = definition_of(run)
                current = executions[-1] if executions else None
                if current is None or current.status != "running":
                    await self.start_stage(session, run, definition, executions, run.current_stage)
                    return True
                worker = await session.get(Run, current.run_id) if current.run_id else None
                verdict = _verdict(definition.stages[current.stage_index], current, worker)
                if verdict is None:
                    return False
                status, note = verdict
                if status == "timed_out" and worker is not None:
                    cancel = worker.id
                current.status, current.note = status, note
                current.finished_at = utcnow()
                if worker is not None and worker.output:
                    current.summary = worker.output[: self.settings.playbook_summary_chars]
                await self.follow(
                    session,
                    run,
                    definition,
                    executions,
                    next_after(definition, executions, current),
                )
        except (StaleDataError, DBAPIError) as exc:
            # Another process advanced it first (or holds it): its transition stands.
            log.info("playbook run %s: transition lost: %s", playbook_run_id, exc)
            return False
        except NotFound as exc:  # the stage's agent or the run's user is gone for good
            await self._fail(playbook_run_id, exc.detail)
            return True
        except NexoraError as exc:  # a quota reached: tried again by the next reconcile
            log.warning("playbook run %s: cannot advance yet: %s", playbook_run_id, exc.detail)
            return False
        if cancel is not None:
            await self._cancel(playbook_run_id, cancel)
        return True

    async def follow(
        self,
        session: AsyncSession,
        run: PlaybookRun,
        definition: PlaybookDef,
        executions: list[StageExecution],
        step: Next,
    ) -> None:
        """Applies a transition and commits it (with the judged execution the caller set)."""
        if step.kind == "stage":
            await self.start_stage(session, run, definition, executions, step.index, step.note)
            return
        if step.kind == "owner":
            run.status, run.current_stage, run.error = "waiting_owner", step.index, step.note
            run.updated_at = utcnow()
            await session.commit()
            return
        await self.complete(session, run, definition, executions)

    async def start_stage(
        self,
        session: AsyncSession,
        run: PlaybookRun,
        definition: PlaybookDef,
        executions: list[StageExecution],
        index: int,
        note: str | None = None,
    ) -> StageExecution:
        """Queues the stage's agent run on its hand-off; commits it with the execution row."""
        stage = definition.stages[index]
        attempt = 1 + sum(1 for e in executions if e.stage_index == index)
        handoff = await build_handoff(session, definition, run, stage, attempt, executions, note)
        agent_id = agent_of(run, index)
        run_id = new_id()
        execution = StageExecution(
            id=new_id(),
            playbook_run_id=run.id,
            seq=1 + max((e.seq for e in executions), default=0),
            stage=stage.name,
            stage_index=index,
            attempt=attempt,
            status="running",
            agent_id=agent_id,
            run_id=run_id,
            note=note,
            output_refs=[],
            handoff_tokens=handoff.handoff_tokens,
            full_history_tokens=handoff.full_history_tokens,
            started_at=utcnow(),
        )
        run.status, run.current_stage, run.error = "running", index, None
        run.updated_at = utcnow()
        session.add(execution)
        actor = await acting_as(session, run.org_id, run.user_id)
        view = await self.agents.for_run(session, run.org_id, agent_id)
        # Creating the run commits the execution and the playbook's new state with it.
        await self.runs.create(session, actor, agent_id, handoff.text, view=view, run_id=run_id)
        return execution

    async def complete(
        self,
        session: AsyncSession,
        run: PlaybookRun,
        definition: PlaybookDef,
        executions: list[StageExecution],
    ) -> None:
        lines = []
        for index, stage in enumerate(definition.stages):
            done = [e for e in executions if e.stage_index == index and e.status in DONE]
            if done:
                lines.append(f"{stage.name}: {(done[-1].summary or '').strip()}")
        run.result_summary = "\n".join(lines)[: self.settings.playbook_summary_chars * 2]
        run.status, run.finished_at, run.error = "completed", utcnow(), None
        run.updated_at = utcnow()
        await session.commit()
        # After the commit, which only one of two callers completing the run together wins
        # (the other's is stale): the manifest is committed to the vault once.
        if self.vault is not None:
            await self.vault.write_manifest(session, run.org_id, run.id)

    async def _fail(self, playbook_run_id: str, error: str) -> None:
        async with self.db.session() as session:
            run = await session.get(PlaybookRun, playbook_run_id)
            if run is None or run.status != "running":
                return
            run.status, run.error, run.finished_at = "failed", error, utcnow()
            await session.commit()

    async def _cancel(self, playbook_run_id: str, run_id: str) -> None:
        """Stops a stage run that outlived its timeout (its verdict is already recorded)."""
        try:
            async with self.db.session() as session:
                run = await session.get(PlaybookRun, playbook_run_id)
                if run is None:
                    return
                actor = await acting_as(session, run.org_id, run.user_id)
                await self.runs.cancel(session, actor, run_id)
        except Exception:
            log.exception("stage run %s: cancelling it failed", run_id)

    async def cancel_stage_run(self, session: AsyncSession, run: PlaybookRun, run_id: str) -> None:
        actor = await acting_as(session, run.org_id, run.user_id)
        await self.runs.cancel(session, actor, run_id)

    def as_snapshot(self, definition: PlaybookDef, agent_ids: list[str]) -> dict[str, Any]:
        return {"playbook": definition.model_dump(), "agents": agent_ids}
