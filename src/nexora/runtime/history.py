"""A run's message history, rebuilt from checkpoints: the session so far plus its own steps."""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    SystemPromptPart,
    TextPart,
    ToolReturnPart,
    UserPromptPart,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.runtime.events import RunStatus
from nexora.storage.models import Run, RunStep


def dump_messages(messages: list[ModelMessage]) -> list[Any]:
    dumped: list[Any] = ModelMessagesTypeAdapter.dump_python(messages, mode="json")
    return dumped


def load_messages(data: list[Any]) -> list[ModelMessage]:
    return ModelMessagesTypeAdapter.validate_python(data)


def context_messages(context: list[dict[str, str]]) -> list[ModelMessage]:
    """Earlier turns a client sent with its request (OpenAI-style role/content pairs)."""
    messages: list[ModelMessage] = []
    for item in context:
        role, content = item.get("role"), item.get("content", "")
        if role == "system":
            messages.append(ModelRequest(parts=[SystemPromptPart(content)]))
        elif role == "assistant":
            messages.append(ModelResponse(parts=[TextPart(content)]))
        else:
            messages.append(ModelRequest(parts=[UserPromptPart(content)]))
    return messages


def unanswered_calls(messages: list[ModelMessage]) -> list[str]:
    """Ids of the last response's tool calls that have no result yet: the calls a paused run
    waits on. Empty for a history that ends in an answer or a model request."""
    last = next(
        (i for i in range(len(messages) - 1, -1, -1) if isinstance(messages[i], ModelResponse)),
        None,
    )
    if last is None:
        return []
    response = messages[last]
    assert isinstance(response, ModelResponse)
    answered = {
        part.tool_call_id
        for message in messages[last + 1 :]
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart | RetryPromptPart)
    }
    return [call.tool_call_id for call in response.tool_calls if call.tool_call_id not in answered]


async def steps_of(session: AsyncSession, run_id: str) -> list[RunStep]:
    rows = await session.scalars(
        select(RunStep).where(RunStep.run_id == run_id).order_by(RunStep.index)
    )
    return list(rows)


async def session_turns(session: AsyncSession, run: Run) -> list[tuple[str, list[ModelMessage]]]:
    """Completed earlier runs of the same session, oldest first, each with its messages: the
    turns context compression folds whole, never splitting a tool call from its result."""
    if run.session_id is None:
        return []
    rows = await session.execute(
        select(RunStep.run_id, RunStep.messages)
        .join(Run, Run.id == RunStep.run_id)
        .where(
            Run.session_id == run.session_id,
            Run.status == RunStatus.COMPLETED,
            Run.created_at < run.created_at,
        )
        .order_by(Run.created_at, RunStep.index)
    )
    turns: list[tuple[str, list[ModelMessage]]] = []
    for run_id, messages in rows:
        if not turns or turns[-1][0] != run_id:
            turns.append((run_id, []))
        turns[-1][1].extend(load_messages(messages))
    return turns


async def session_history(session: AsyncSession, run: Run) -> list[ModelMessage]:
    """Completed earlier runs of the same session, oldest first, in one query."""
    return [m for _, messages in await session_turns(session, run) for m in messages]
