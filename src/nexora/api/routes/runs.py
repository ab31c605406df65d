from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.sse import EventSourceResponse
from pydantic import BaseModel, Field

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.sse import SSE_RESPONSE, last_event_id, run_events, sse_response
from nexora.runtime.events import RunStatus
from nexora.runtime.service import MAX_INPUT_CHARS
from nexora.storage.models import Run

router = APIRouter(prefix="/api", tags=["runs"])


class RunCreate(BaseModel):
    agent_id: str = Field(min_length=1, max_length=100)
    input: str = Field(min_length=1, max_length=MAX_INPUT_CHARS)
    session_id: str | None = Field(default=None, max_length=36)


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class RunPublic(BaseModel):
    id: str
    agent_id: str
    session_id: str | None
    user_id: str
    parent_run_id: str | None
    group_id: str | None
    status: RunStatus
    input: str
    output: str | None
    error: str | None
    model: str | None
    usage: Usage
    step_count: int
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    # How chat routed the run (route, reason, by, ...); None for runs started directly.
    routing: dict[str, Any] | None = None

    @classmethod
    def of(cls, run: Run) -> RunPublic:
        return cls(
            id=run.id,
            agent_id=run.agent_id,
            session_id=run.session_id,
            user_id=run.user_id,
            parent_run_id=run.parent_run_id,
            group_id=run.group_id,
            status=RunStatus(run.status),
            input=run.input,
            output=run.output,
            error=run.error,
            model=run.model,
            usage=Usage(
                prompt_tokens=run.prompt_tokens,
                completion_tokens=run.completion_tokens,
                total_tokens=run.prompt_tokens + run.completion_tokens,
            ),
            step_count=run.step_count,
            attempts=run.attempts,
            created_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            routing=run.routing,
        )


class RunPage(BaseModel):
    items: list[RunPublic]
    total: int
    page: int
    limit: int


class RunList(BaseModel):
    items: list[RunPublic]


class EventPublic(BaseModel):
    seq: int
    type: str
    created_at: datetime
    payload: dict[str, Any]


class EventPage(BaseModel):
    items: list[EventPublic]
    next_cursor: int | None


@router.post("/runs", status_code=201, operation_id="createRun")
async def create_run(
    body: RunCreate, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> RunPublic:
    session = None
    if body.session_id is not None:
        session = await platform.chat.session(db, actor, body.session_id)
    run = await platform.runs.create(db, actor, body.agent_id, body.input, session=session)
    return RunPublic.of(run)


@router.get("/runs", operation_id="listRuns")
async def list_runs(
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    agent_id: str | None = Query(default=None, max_length=36),
    status: RunStatus | None = None,
    since: datetime | None = Query(
        default=None, description="Created at or after; UTC if no zone."
    ),
    until: datetime | None = Query(default=None, description="Created before; UTC if no zone."),
    page: int = Query(default=1, ge=1, le=100_000),
    limit: int = Query(default=50, ge=1, le=200),
) -> RunPage:
    runs, total = await platform.runs.search(
        db,
        actor,
        agent_id=agent_id,
        status=status,
        since=since,
        until=until,
        offset=(page - 1) * limit,
        limit=limit,
    )
    return RunPage(items=[RunPublic.of(r) for r in runs], total=total, page=page, limit=limit)


@router.get("/runs/{run_id}", operation_id="getRun")
async def get_run(
    run_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> RunPublic:
    return RunPublic.of(await platform.runs.get(db, actor, run_id))


@router.get("/runs/{run_id}/children", operation_id="listRunChildren")
async def list_run_children(
    run_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> RunList:
    """Runs this run started: its team members' work and the sub-tasks it delegated."""
    children = await platform.runs.children(db, actor, run_id)
    return RunList(items=[RunPublic.of(r) for r in children])


@router.get("/runs/{run_id}/events", operation_id="listRunEvents")
async def list_run_events(
    run_id: str,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    cursor: int = Query(default=0, ge=0, description="Return events with seq greater than this."),
    limit: int = Query(default=500, ge=1, le=5000),
    type: list[str] = Query(default=[], max_length=20),
) -> EventPage:
    events = await platform.runs.events(db, actor, run_id, after=cursor, limit=limit, types=type)
    items = [
        EventPublic(seq=e.seq, type=e.type, created_at=e.created_at, payload=e.payload)
        for e in events
    ]
    return EventPage(items=items, next_cursor=items[-1].seq if len(items) == limit else None)


@router.get(
    "/runs/{run_id}/stream",
    response_model=None,
    responses=SSE_RESPONSE,
    operation_id="streamRun",
)
async def stream_run(
    run_id: str,
    request: Request,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    last_event_id_query: int | None = Query(default=None, alias="last_event_id", ge=0),
) -> EventSourceResponse:
    """Live events of a run; reconnect with `Last-Event-ID` to resume without loss or repeats."""
    await platform.runs.get(db, actor, run_id)
    after = last_event_id(request, last_event_id_query)
    await db.close()  # a long stream must not hold a database connection
    return sse_response(run_events(platform, run_id, after))


@router.post("/runs/{run_id}/cancel", operation_id="cancelRun")
async def cancel_run(
    run_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> RunPublic:
    run = await platform.runs.cancel(db, actor, run_id)
    platform.audit.record(
        "run.cancel", actor=actor, resource_type="run", resource_id=run_id, request=info
    )
    return RunPublic.of(run)
