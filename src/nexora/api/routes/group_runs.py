"""Team runs: start one for a group, list a group's runs. Watch them like any run
(`/api/runs/{id}`, `/events`, `/stream`)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from nexora.api.deps import CurrentActor, DbSession, PlatformDep
from nexora.api.routes.runs import RunPage, RunPublic
from nexora.runtime.service import MAX_INPUT_CHARS
from nexora.teams.access import get_group

router = APIRouter(prefix="/api", tags=["teams"])


class TeamRunCreate(BaseModel):
    input: str = Field(min_length=1, max_length=MAX_INPUT_CHARS)
    # How members work: one after another, each seeing earlier proposals, or all at once.
    # The group's `default_mode` when left out.
    mode: Literal["serial", "parallel"] | None = None


@router.post("/groups/{group_id}/runs", status_code=201, operation_id="createTeamRun")
async def create_team_run(
    group_id: str, body: TeamRunCreate, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> RunPublic:
    run = await platform.runs.create_team_run(db, actor, group_id, body.input, body.mode)
    return RunPublic.of(run)


@router.get("/groups/{group_id}/runs", operation_id="listTeamRuns")
async def list_team_runs(
    group_id: str,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    page: int = Query(default=1, ge=1, le=100_000),
    limit: int = Query(default=50, ge=1, le=200),
) -> RunPage:
    """The group's runs, newest first (operators see their own)."""
    group = await get_group(db, actor, group_id)
    runs, total = await platform.runs.search(
        db, actor, group_id=group.id, offset=(page - 1) * limit, limit=limit
    )
    return RunPage(items=[RunPublic.of(r) for r in runs], total=total, page=page, limit=limit)
