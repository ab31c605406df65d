"""Playbooks (stage-based processes) and their runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from nexora.api.deps import CurrentActor, DbSession, PlatformDep
from nexora.errors import InvalidInput
from nexora.storage.models import Playbook, PlaybookRun, StageExecution
from nexora.teams.playbooks import control, store
from nexora.teams.playbooks.definition import PlaybookDef, parse_fields, parse_yaml
from nexora.teams.playbooks.engine import definition_of, executions_of

router = APIRouter(prefix="/api", tags=["playbooks"])

RunState = Literal["pending", "running", "waiting_owner", "completed", "failed", "aborted"]


class PlaybookPublic(BaseModel):
    id: str
    name: str
    description: str
    owner_id: str
    project_id: str | None
    version: int
    yaml: str
    definition: dict[str, Any]
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, playbook: Playbook) -> PlaybookPublic:
        definition = parse_yaml(playbook.yaml)
        return cls(
            id=playbook.id,
            name=playbook.name,
            description=definition.description,
            owner_id=playbook.owner_id,
            project_id=playbook.project_id,
            version=playbook.version,
            yaml=playbook.yaml,
            definition=definition.model_dump(),
            created_by=playbook.created_by,
            created_at=playbook.created_at,
            updated_at=playbook.updated_at,
        )


class StagePublic(BaseModel):
    id: str
    seq: int
    stage: str
    stage_index: int
    attempt: int
    status: str
    agent_id: str | None
    run_id: str | None
    summary: str | None
    output_refs: list[dict[str, Any]]
    review: dict[str, Any] | None
    note: str | None
    handoff_tokens: int
    full_history_tokens: int
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: StageExecution) -> StagePublic:
        return cls.model_validate(row, from_attributes=True)


class PlaybookRunPublic(BaseModel):
    id: str
    playbook_id: str
    status: RunState
    objective: str
    inputs: dict[str, Any]
    current_stage: int
    current_stage_name: str
    stage_names: list[str]
    owner_id: str
    user_id: str
    group_id: str | None
    project_id: str | None
    result_summary: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    stages: list[StagePublic] | None = None

    @classmethod
    def of(cls, run: PlaybookRun, stages: list[StageExecution] | None = None) -> PlaybookRunPublic:
        names = [stage.name for stage in definition_of(run).stages]
        return cls(
            id=run.id,
            playbook_id=run.playbook_id,
            status=run.status,
            objective=run.objective,
            inputs=run.inputs,
            current_stage=run.current_stage,
            current_stage_name=names[run.current_stage],
            stage_names=names,
            owner_id=run.owner_id,
            user_id=run.user_id,
            group_id=run.group_id,
            project_id=run.project_id,
            result_summary=run.result_summary,
            error=run.error,
            created_at=run.created_at,
            updated_at=run.updated_at,
            finished_at=run.finished_at,
            stages=[StagePublic.of(s) for s in stages] if stages is not None else None,
        )


class RunStart(BaseModel):
    objective: str = Field(min_length=1, max_length=20_000)
    inputs: dict[str, Any] = Field(default_factory=dict)
    group_id: str | None = Field(default=None, max_length=36)


class HandArtifact(BaseModel):
    kind: str = Field(min_length=1, max_length=64)
    key: str = Field(min_length=1, max_length=300)
    value: str = Field(max_length=2_000_000)
    summary: str = Field(min_length=1, max_length=1000)


class TakeOverBody(BaseModel):
    summary: str = Field(min_length=1, max_length=20_000)
    artifacts: list[HandArtifact] = Field(default_factory=list, max_length=50)
    decision: Literal["approve", "reject"] | None = None
    reason: str | None = Field(default=None, max_length=5000)


class AbortBody(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


def _definition(body: dict[str, Any]) -> tuple[PlaybookDef, str, str | None]:
    """A body is `{"yaml": "..."}` or the definition's fields; `project_id` beside either."""
    fields = dict(body)
    project_id = fields.pop("project_id", None)
    if project_id is not None and not isinstance(project_id, str):
        raise InvalidInput("project_id: must be a string")
    if "yaml" in fields:
        text = fields.pop("yaml")
        if not isinstance(text, str) or fields:
            raise InvalidInput("yaml: send the YAML text alone (beside project_id)")
        return parse_yaml(text), text, project_id
    definition = parse_fields(fields)
    return definition, definition.to_yaml(), project_id


@router.post("/playbooks", status_code=201, operation_id="createPlaybook")
async def create_playbook(
    actor: CurrentActor, db: DbSession, body: dict[str, Any] = Body(...)
) -> PlaybookPublic:
    definition, text, project_id = _definition(body)
    return PlaybookPublic.of(await store.create_playbook(db, actor, definition, text, project_id))


@router.get("/playbooks", operation_id="listPlaybooks")
async def list_playbooks(actor: CurrentActor, db: DbSession) -> list[PlaybookPublic]:
    return [PlaybookPublic.of(p) for p in await store.list_playbooks(db, actor)]


@router.get("/playbooks/{playbook_id}", operation_id="getPlaybook")
async def get_playbook(playbook_id: str, actor: CurrentActor, db: DbSession) -> PlaybookPublic:
    return PlaybookPublic.of(await store.get_playbook(db, actor, playbook_id))


@router.put("/playbooks/{playbook_id}", operation_id="updatePlaybook")
async def update_playbook(
    playbook_id: str, actor: CurrentActor, db: DbSession, body: dict[str, Any] = Body(...)
) -> PlaybookPublic:
    definition, text, project_id = _definition(body)
    playbook = await store.update_playbook(db, actor, playbook_id, definition, text, project_id)
    return PlaybookPublic.of(playbook)


@router.delete("/playbooks/{playbook_id}", status_code=204, operation_id="deletePlaybook")
async def delete_playbook(playbook_id: str, actor: CurrentActor, db: DbSession) -> None:
    await store.delete_playbook(db, actor, playbook_id)


@router.post("/playbooks/{playbook_id}/runs", status_code=201, operation_id="startPlaybookRun")
async def start_run(
    playbook_id: str, body: RunStart, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> PlaybookRunPublic:
    playbook = await store.get_playbook(db, actor, playbook_id)
    run = await control.start_playbook_run(
        db,
        platform.playbooks,
        actor,
        playbook,
        body.objective,
        inputs=body.inputs,
        group_id=body.group_id,
    )
    return PlaybookRunPublic.of(run, await executions_of(db, run.id))


@router.get("/playbook-runs", operation_id="listPlaybookRuns")
async def list_runs(
    actor: CurrentActor,
    db: DbSession,
    playbook_id: str | None = Query(default=None, max_length=36),
    status: RunState | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> list[PlaybookRunPublic]:
    runs = await store.list_runs(db, actor, playbook_id=playbook_id, status=status, limit=limit)
    return [PlaybookRunPublic.of(r) for r in runs]


@router.get("/playbook-runs/{playbook_run_id}", operation_id="getPlaybookRun")
async def get_run(playbook_run_id: str, actor: CurrentActor, db: DbSession) -> PlaybookRunPublic:
    run = await store.get_run(db, actor, playbook_run_id)
    return PlaybookRunPublic.of(run, await executions_of(db, run.id))


@router.post("/playbook-runs/{playbook_run_id}/takeover", operation_id="takeOverPlaybookStage")
async def take_over(
    playbook_run_id: str,
    body: TakeOverBody,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
) -> PlaybookRunPublic:
    hand = control.TakeOver(
        summary=body.summary,
        artifacts=[control.HandArtifact(**a.model_dump()) for a in body.artifacts],
        decision=body.decision,
        reason=body.reason,
    )
    run = await control.take_over(db, platform.playbooks, actor, playbook_run_id, hand)
    return PlaybookRunPublic.of(run, await executions_of(db, run.id))


@router.post("/playbook-runs/{playbook_run_id}/abort", operation_id="abortPlaybookRun")
async def abort(
    playbook_run_id: str,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    body: AbortBody | None = None,
) -> PlaybookRunPublic:
    reason = body.reason if body is not None else None
    run = await control.abort(db, platform.playbooks, actor, playbook_run_id, reason)
    return PlaybookRunPublic.of(run, await executions_of(db, run.id))
