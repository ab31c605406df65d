"""Chat: send a message and stream the answer; sessions and their messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from fastapi import APIRouter, Query, Request
from fastapi.sse import EventSourceResponse
from pydantic import BaseModel, Field

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.routes.runs import RunPage, RunPublic
from nexora.api.sse import SSE_RESPONSE, encode_json, last_event_id, run_events, sse_response
from nexora.runtime.service import MAX_INPUT_CHARS
from nexora.storage.models import ChatSession

router = APIRouter(prefix="/api", tags=["chat"])


class ChatRequest(BaseModel):
    agent_id: str | None = Field(default=None, max_length=100)
    session_id: str | None = Field(default=None, max_length=36)
    message: str = Field(min_length=1, max_length=MAX_INPUT_CHARS)


class StopRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=36)


class SessionPublic(BaseModel):
    id: str
    agent_id: str
    title: str | None
    channel: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, chat: ChatSession) -> SessionPublic:
        return cls.model_validate(chat, from_attributes=True)


class SessionPage(BaseModel):
    items: list[SessionPublic]
    total: int
    page: int
    limit: int


class MessagePublic(BaseModel):
    role: str
    content: str
    run_id: str
    status: str
    created_at: datetime


@router.post("/chat", response_model=None, responses=SSE_RESPONSE, operation_id="chat")
async def chat(
    body: ChatRequest,
    request: Request,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> EventSourceResponse:
    """Streams the answer. If the session already has a run going, attaches to it instead of
    starting another; a client that disconnects does not stop the run."""
    turn = await platform.chat.send(
        db, actor, body.agent_id, body.session_id, body.message, request=info
    )
    after = last_event_id(request, None) if turn.attached else 0
    platform.audit.record(
        "chat.reconnect" if turn.attached else "chat.message.send",
        actor=actor,
        resource_type="session",
        resource_id=turn.session.id,
        request=info,
        detail={"run_id": turn.run.id, "agent_id": turn.session.agent_id},
    )
    await db.close()
    opening = encode_json(
        {"session_id": turn.session.id, "run_id": turn.run.id, "attached": turn.attached},
        event="chat.session",
    )

    async def events() -> AsyncIterator[bytes]:
        yield opening
        async for chunk in run_events(platform, turn.run.id, after):
            yield chunk

    return sse_response(events())


@router.post("/chat/stop", operation_id="stopChat")
async def stop_chat(
    body: StopRequest, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> dict[str, str | None]:
    run = await platform.chat.stop(db, actor, body.session_id)
    platform.audit.record(
        "chat.stop",
        actor=actor,
        resource_type="session",
        resource_id=body.session_id,
        request=info,
        detail={"run_id": run.id if run else None},
    )
    return {
        "session_id": body.session_id,
        "run_id": run.id if run else None,
        "status": run.status if run else None,
    }


@router.get("/sessions", operation_id="listSessions")
async def list_sessions(
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    agent_id: str | None = Query(default=None, max_length=36),
    page: int = Query(default=1, ge=1, le=100_000),
    limit: int = Query(default=50, ge=1, le=200),
) -> SessionPage:
    items, total = await platform.chat.sessions(db, actor, agent_id, (page - 1) * limit, limit)
    return SessionPage(
        items=[SessionPublic.of(s) for s in items], total=total, page=page, limit=limit
    )


@router.get("/sessions/{session_id}", operation_id="getSession")
async def get_session(
    session_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> SessionPublic:
    return SessionPublic.of(await platform.chat.session(db, actor, session_id))


@router.get("/sessions/{session_id}/messages", operation_id="listSessionMessages")
async def list_session_messages(
    session_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[MessagePublic]:
    messages = await platform.chat.messages(db, actor, session_id)
    return [MessagePublic.model_validate(m, from_attributes=True) for m in messages]


@router.get("/sessions/{session_id}/runs", operation_id="listSessionRuns")
async def list_session_runs(
    session_id: str,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    page: int = Query(default=1, ge=1, le=100_000),
    limit: int = Query(default=50, ge=1, le=200),
) -> RunPage:
    chat_session = await platform.chat.session(db, actor, session_id)
    runs, total = await platform.runs.search(
        db, actor, session_id=chat_session.id, offset=(page - 1) * limit, limit=limit
    )
    return RunPage(items=[RunPublic.of(r) for r in runs], total=total, page=page, limit=limit)
