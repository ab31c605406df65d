"""OpenAI-compatible endpoint: agents appear as models; a completion is a run."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.sse import EventSourceResponse, format_sse_event
from pydantic import BaseModel, ConfigDict, Field

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.errors import problem
from nexora.api.sse import encode_json, sse_response
from nexora.errors import InvalidInput
from nexora.runtime.events import EventType
from nexora.runtime.stream import follow

router = APIRouter(prefix="/v1", tags=["openai"])


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text or "" for part in self.content if part.type == "text")


class StreamOptions(BaseModel):
    include_usage: bool = False


class CompletionRequest(BaseModel):
    # Sampling options clients send are accepted; the agent's own settings decide.
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=100)
    messages: list[ChatMessage] = Field(min_length=1, max_length=1000)
    stream: bool = False
    stream_options: StreamOptions | None = None


def _split(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        raise InvalidInput("messages: at least one user message is required")
    context = [
        {"role": "system" if m.role in ("system", "developer") else m.role, "content": m.text()}
        for m in messages[:last_user]
        if m.role != "tool"
    ]
    return messages[last_user].text(), context


@router.get("/models", operation_id="openaiListModels")
async def list_models(actor: CurrentActor, db: DbSession, platform: PlatformDep) -> dict[str, Any]:
    views = await platform.agents.visible(db, actor)
    return {
        "object": "list",
        "data": [
            {
                "id": v.record.name,
                "object": "model",
                "created": int(v.record.created_at.timestamp()),
                "owned_by": "nexora",
                "nexora_agent_id": v.record.id,
            }
            for v in views
        ],
    }


@router.post("/chat/completions", operation_id="openaiChatCompletions", response_model=None)
async def chat_completions(
    body: CompletionRequest,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> JSONResponse | EventSourceResponse:
    view = await platform.agents.find(db, actor, body.model)
    text, context = _split(body.messages)
    run = await platform.runs.create(db, actor, view.record.id, text, context=context, view=view)
    platform.audit.record(
        "chat.message.send",
        actor=actor,
        resource_type="run",
        resource_id=run.id,
        request=info,
        detail={"agent_id": view.record.id, "via": "openai"},
    )
    await db.close()
    completion_id = f"chatcmpl-{run.id}"
    created = int(time.time())
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return sse_response(
            _chunks(platform, run.id, completion_id, created, body.model, include_usage)
        )
    async for event in follow(platform.db, platform.bus, run.id, 0, platform.stream_poll_seconds):
        if event.type == EventType.RUN_COMPLETED:
            usage = event.payload["usage"]
            return JSONResponse(
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": body.model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": event.payload["output"]},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )
        if event.type in (EventType.RUN_FAILED, EventType.RUN_CANCELLED):
            return _run_error(event.payload)
    return _run_error({"error": "the run ended without an answer"})


def _run_error(payload: dict[str, Any]) -> JSONResponse:
    message = str(payload.get("error") or "the run did not complete")
    return problem(
        502, message, title="Run failed", error={"message": message, "type": "run_failed"}
    )


async def _chunks(
    platform: Any, run_id: str, completion_id: str, created: int, model: str, include_usage: bool
) -> AsyncIterator[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return encode_json(body)

    yield chunk({"role": "assistant", "content": ""})
    async for event in follow(platform.db, platform.bus, run_id, 0, platform.stream_poll_seconds):
        if event.type == EventType.LLM_TOKEN:
            yield chunk({"content": event.payload["delta"]})
        elif event.is_terminal:
            finish = "stop" if event.type == EventType.RUN_COMPLETED else "error"
            yield chunk({}, finish)
            if include_usage and "usage" in event.payload:
                usage_chunk = {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": event.payload["usage"],
                }
                yield encode_json(usage_chunk)
            break
    yield format_sse_event(data_str="[DONE]")
