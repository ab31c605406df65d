"""One live connection to one MCP server (for stdio: one process), shared by the runs allowed to.

The SDK's client must be entered and left in the same task, while calls arrive from many
runs' tasks; so a small owner task holds the client open until `close`, and calls go
through the session it keeps. The owner task is the only place the connection ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from mcp import Client, MCPError
from mcp.types import (
    CONNECTION_CLOSED,
    REQUEST_TIMEOUT,
    CallToolResult,
    Implementation,
    ListToolsResult,
    Tool,
)

from nexora import __version__
from nexora.mcp.errors import CallTimedOut, ConnectionLost, StartFailed
from nexora.mcp.launch import ServerLaunch
from nexora.mcp.transport import open_transport

log = logging.getLogger(__name__)
T = TypeVar("T")

# The SDK bounds its own stdio shutdown (close stdin, SIGTERM, SIGKILL) at a few seconds.
_CLOSE_GRACE_SECONDS = 10.0
_MAX_TOOL_PAGES = 100


class McpConnection:
    def __init__(self, launch: ServerLaunch, start_timeout: float) -> None:
        self.launch = launch
        self.start_timeout = start_timeout
        self.last_used = time.monotonic()
        self.busy = 0
        self._client: Client | None = None
        self._ended = False
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._tools: list[Tool] | None = None

    @property
    def alive(self) -> bool:
        return self._client is not None and not self._ended

    @property
    def idle_seconds(self) -> float:
        return 0.0 if self.busy else time.monotonic() - self.last_used

    async def start(self) -> None:
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # A start given up on (timeout, cancelled run) leaves nobody to read the outcome.
        ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._task = asyncio.create_task(self._own(ready), name=f"mcp:{self.launch.name}")
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.start_timeout)
        except BaseException as exc:
            # Also when the run that started it is cancelled: no process may outlive its start.
            await asyncio.shield(self.close())
            if isinstance(exc, TimeoutError):
                raise StartFailed(f"it did not start within {self.start_timeout:g} s") from None
            if isinstance(exc, Exception):
                raise StartFailed(_describe(exc)) from exc
            raise

    async def _own(self, ready: asyncio.Future[None]) -> None:
        client = Client(
            open_transport(self.launch, self._mark_ended),
            read_timeout_seconds=self.launch.timeout_seconds,
            client_info=Implementation(name="nexora", version=__version__),
        )
        try:
            async with client:
                self._client = client
                ready.set_result(None)
                await self._stop.wait()
        except Exception as exc:
            if not ready.done():
                ready.set_exception(exc)
            else:
                log.info("MCP server %s ended: %s", self.launch.name, _describe(exc))
        finally:
            self._client = None
            self._ended = True
            if not ready.done():
                ready.set_exception(StartFailed("it stopped while starting"))

    def _mark_ended(self) -> None:
        self._ended = True

    async def tools(self) -> list[Tool]:
        """The server's tools, listed once per connection (a restart lists them again)."""
        if self._tools is None:
            found: list[Tool] = []
            cursor: str | None = None
            for _ in range(_MAX_TOOL_PAGES):
                page = await self._request(partial(_list_tools, cursor=cursor))
                found.extend(page.tools)
                cursor = page.next_cursor
                if cursor is None:
                    break
            self._tools = found
        return self._tools

    async def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        return await self._request(
            lambda c: c.call_tool(tool, arguments, read_timeout_seconds=self.launch.timeout_seconds)
        )

    async def _request(self, send: Callable[[Client], Awaitable[T]]) -> T:
        client = self._client
        if client is None or self._ended:
            raise ConnectionLost("the server is not running")
        self.busy += 1
        try:
            return await send(client)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                raise CallTimedOut(str(exc)) from exc
            if exc.code == CONNECTION_CLOSED or self._ended:
                self._ended = True
                raise ConnectionLost(str(exc)) from exc
            raise
        finally:
            self.busy -= 1
            self.last_used = time.monotonic()

    async def close(self) -> None:
        self._stop.set()
        task = self._task
        if task is None or task.done():
            return
        if self._client is None:  # still starting: only cancelling interrupts the handshake
            task.cancel()
        done, _ = await asyncio.wait({task}, timeout=_CLOSE_GRACE_SECONDS)
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=_CLOSE_GRACE_SECONDS)


async def _list_tools(client: Client, cursor: str | None) -> ListToolsResult:
    return await client.list_tools(cursor=cursor)


def _describe(exc: BaseException) -> str:
    """The innermost useful message: the SDK wraps start-up failures in exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return str(exc) or type(exc).__name__
