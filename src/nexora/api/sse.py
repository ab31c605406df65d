"""Server-sent events: run events as `id: <seq>`, `event: <type>`, `data: <json>`, with
keep-alive comments while a stream is idle."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.sse import KEEPALIVE_COMMENT, EventSourceResponse, format_sse_event

from nexora.platform import Platform
from nexora.runtime.events import Event
from nexora.runtime.stream import follow

KEEPALIVE_SECONDS = 15.0

SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "Server-sent events", "content": {"text/event-stream": {}}}
}


def last_event_id(request: Request, query_value: int | None) -> int:
    """Where a reconnecting client left off: the `Last-Event-ID` header, else `?last_event_id=`."""
    header = request.headers.get("last-event-id")
    if header is not None and header.strip().isdigit():
        return int(header.strip())
    return query_value or 0


def encode_json(data: Any, *, event: str | None = None, id: str | None = None) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return format_sse_event(data_str=text, event=event, id=id)


def encode_event(event: Event) -> bytes:
    return encode_json(event.as_json(), event=event.type, id=str(event.seq))


async def run_events(platform: Platform, run_id: str, after: int) -> AsyncIterator[bytes]:
    async for event in follow(
        platform.db, platform.bus, run_id, after, platform.stream_poll_seconds
    ):
        yield encode_event(event)


def sse_response(source: AsyncIterator[bytes]) -> EventSourceResponse:
    return EventSourceResponse(
        _with_keepalive(source, KEEPALIVE_SECONDS),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _with_keepalive(source: AsyncIterator[bytes], interval: float) -> AsyncIterator[bytes]:
    """Passes `source` through, adding a comment line whenever it is quiet for `interval`."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=256)

    async def pump() -> None:
        try:
            async for chunk in source:
                await queue.put(chunk)
        finally:
            await queue.put(None)

    task = asyncio.get_running_loop().create_task(pump())
    try:
        while True:
            try:
                chunk = await asyncio.wait_for(queue.get(), timeout=interval)
            except TimeoutError:
                yield KEEPALIVE_COMMENT
                continue
            if chunk is None:
                break
            yield chunk
        task.result()  # surface an error the source raised
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
