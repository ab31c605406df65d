"""What people do to playbook runs: start one, take a stage over by hand, abort."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, Forbidden, InvalidInput, ServiceUnavailable
from nexora.storage.base import new_id, utcnow
from nexora.storage.models import Playbook, PlaybookRun, StageExecution
from nexora.teams.playbooks.artifacts import ref_of
from nexora.teams.playbooks.assign import assign
from nexora.teams.playbooks.definition import parse_yaml
from nexora.teams.playbooks.engine import (
    Next,
    PlaybookEngine,
    definition_of,
    executions_of,
    next_after,
)
from nexora.teams.playbooks.store import get_run, may_manage

ENDED = frozenset({"completed", "failed", "aborted"})


@dataclass(frozen=True, slots=True)
class HandArtifact:
    kind: str
    key: str
    value: str
    summary: str


@dataclass(frozen=True, slots=True)
class TakeOver:
    summary: str
    artifacts: list[HandArtifact] = field(default_factory=list)
    decision: Literal["approve", "reject"] | None = None
    reason: str | None = None


async def start_playbook_run(
    session: AsyncSession,
    engine: PlaybookEngine,
    actor: Actor,
    playbook: Playbook,
    objective: str,
    *,
    inputs: dict[str, Any] | None = None,
    group_id: str | None = None,
) -> PlaybookRun:
    """Resolves every stage's agent (checking the actor may use it or its team), snapshots
    the definition and queues the first stage's run; one commit."""
    if not objective.strip():
        raise InvalidInput("objective: must not be empty")
    definition = parse_yaml(playbook.yaml)
    assignment = await assign(session, engine.agents, actor, definition, group_id)
    group = assignment.group
    run = PlaybookRun(
        id=new_id(),
        org_id=actor.org_id,
        playbook_id=playbook.id,
        definition=engine.as_snapshot(definition, assignment.agent_ids),
        objective=objective,
        inputs=inputs or {},
        status="running",
        current_stage=0,
        owner_id=playbook.owner_id,
        user_id=actor.user_id,
        group_id=group.id if group is not None else None,
        project_id=playbook.project_id or (group.project_id if group is not None else None),
    )
    session.add(run)
    await session.flush()  # before its first stage's row, which refers to it
    await engine.start_stage(session, run, definition, [], 0)
    return run


async def take_over(
    session: AsyncSession, engine: PlaybookEngine, actor: Actor, run_id: str, hand: TakeOver
) -> PlaybookRun:
    """The owner (or an admin) completes the current stage by hand: their summary, their
    artifacts and, on a review stage, their decision; the playbook then goes on."""
    run = await get_run(session, actor, run_id)
    if not may_manage(actor, run.owner_id):
        raise Forbidden("only the playbook run's owner or an admin may take a stage over")
    if run.status not in ("running", "waiting_owner"):
        raise Conflict(f"the playbook run is {run.status}")
    definition = definition_of(run)
    stage = definition.stages[run.current_stage]
    if hand.decision is not None and stage.review is None:
        raise InvalidInput(f"decision: stage {stage.name!r} is not a review stage")
    refs = []
    for artifact in hand.artifacts:
        if engine.vault is None:
            raise ServiceUnavailable("no vault is configured to keep artifacts")
        delivered = await engine.vault.deliver(
            session,
            org_id=run.org_id,
            project_id=run.project_id,
            kind=artifact.kind,
            key=artifact.key,
            value=artifact.value,
            summary=artifact.summary,
            stage=stage.name,
            playbook_run_id=run.id,
            author_user_id=actor.user_id,
        )
        refs.append(ref_of(delivered))
    executions = await executions_of(session, run.id)
    current = executions[-1] if executions else None
    interrupted = None
    if current is None or current.status != "running":
        current = StageExecution(
            id=new_id(),
            playbook_run_id=run.id,
            seq=1 + max((e.seq for e in executions), default=0),
            stage=stage.name,
            stage_index=run.current_stage,
            attempt=1 + sum(1 for e in executions if e.stage_index == run.current_stage),
            started_at=utcnow(),
        )
        session.add(current)
        executions.append(current)
    else:
        interrupted = current.run_id
        refs = [*current.output_refs, *refs]
    current.status, current.summary, current.output_refs = "taken_over", hand.summary, refs
    current.note = f"taken over by {actor.username}"
    current.finished_at = utcnow()
    if stage.review is not None:
        decision = hand.decision or "approve"
        back_to = stage.review.on_reject if decision == "reject" else None
        current.review = {"decision": decision, "reason": hand.reason or "", "back_to": back_to}
    run.status, run.error = "running", None
    if current.review is not None and current.review["decision"] == "reject":
        target = definition.index_of(current.review["back_to"])
        note = f"The owner rejected the work at stage {stage.name!r}: {hand.reason or ''}"
        step = Next("stage", target, note)
    else:
        step = next_after(definition, executions, current, by_owner=True)
    await engine.follow(session, run, definition, executions, step)
    if interrupted is not None:
        await engine.cancel_stage_run(session, run, interrupted)
    await session.refresh(run)
    return run


async def abort(
    session: AsyncSession, engine: PlaybookEngine, actor: Actor, run_id: str, reason: str | None
) -> PlaybookRun:
    """Ends the playbook run and cancels its current stage run; a no-op once it has ended."""
    run = await get_run(session, actor, run_id)
    if not may_manage(actor, run.owner_id, run.user_id):
        raise Forbidden("only the playbook run's owner, its starter or an admin may abort it")
    if run.status in ENDED:
        return run
    executions = await executions_of(session, run.id)
    interrupted = None
    for execution in executions:
        if execution.status == "running":
            execution.status, execution.finished_at = "aborted", utcnow()
            interrupted = execution.run_id
    run.status, run.finished_at = "aborted", utcnow()
    run.error = reason or f"aborted by {actor.username}"
    await session.commit()
    if interrupted is not None:
        await engine.cancel_stage_run(session, run, interrupted)
    await session.refresh(run)
    return run
