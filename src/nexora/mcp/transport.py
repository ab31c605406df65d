"""The MCP SDK's stdio and streamable HTTP transports, watched for the server going away.

The SDK's session keeps answering "connection closed" once a server has died, but says
nothing before a call is made. Watching the transport's read stream for its end lets the
manager tell a server that died while idle (restart it, then call) from one that died
during a call (report it: repeating the call could repeat what killed it).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import anyio
import httpx2
from mcp.client._transport import ReadStream, TransportStreams
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.message import SessionMessage

from nexora.mcp.launch import ServerLaunch

Item = SessionMessage | Exception


class WatchedReadStream:
    """Passes every message through; calls `on_end` once when the stream ends or breaks."""

    def __init__(self, inner: ReadStream[Item], on_end: Callable[[], None]) -> None:
        self._inner = inner
        self._on_end = on_end

    @property
    def last_context(self) -> Any:  # the SDK reads it off context-aware streams, if present
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Item:
        try:
            return await self._inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._on_end()
            raise

    def __aiter__(self) -> WatchedReadStream:
        return self

    async def __anext__(self) -> Item:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> WatchedReadStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.aclose()


@asynccontextmanager
async def open_transport(
    launch: ServerLaunch, on_end: Callable[[], None]
) -> AsyncIterator[TransportStreams]:
    """Starts (stdio) or reaches (HTTP) the server; `on_end` fires when it goes away."""
    if launch.transport == "stdio":
        assert launch.command is not None
        params = StdioServerParameters(
            command=launch.command, args=list(launch.args), env=launch.env, cwd=launch.cwd
        )
        async with stdio_client(params, errlog=sys.stderr) as (read, write):
            yield WatchedReadStream(read, on_end), write
        return
    assert launch.url is not None
    # Loopback and private addresses are allowed on purpose: MCP servers commonly run next to
    # Nexora, and only a URL in an approved server spec is ever reached.
    timeout = httpx2.Timeout(launch.timeout_seconds, read=max(launch.timeout_seconds, 300.0))
    async with (
        httpx2.AsyncClient(headers=launch.headers, timeout=timeout) as client,
        streamable_http_client(launch.url, http_client=client) as (read, write),
    ):
        yield WatchedReadStream(read, on_end), write
