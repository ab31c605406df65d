"""The MCP servers of this process: which ones a run gets, and the connections behind them.

A run's toolsets are built without starting anything; a server starts on the first use of
its tools and stays up for later runs that resolve to the same connection key (same server,
agent workspace, credentials scope and secret values; see `launch`). A server that died
while idle is restarted by the next use, once; one that dies during a call is reported to
the model and restarted by the call after. Connections nobody used for
`mcp_idle_ttl_seconds` are stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from nexora.agents.config import AgentFile
from nexora.config import Settings
from nexora.governance.secret_store import SecretStore
from nexora.mcp.errors import CallTimedOut, ConnectionLost, McpUnavailable, StartFailed
from nexora.mcp.launch import ServerLaunch, resolve_launch
from nexora.storage.db import Database
from nexora.storage.models import McpServer

if TYPE_CHECKING:
    from mcp.types import CallToolResult, Tool
    from pydantic_ai.toolsets import AbstractToolset

    from nexora.mcp.connection import McpConnection

log = logging.getLogger(__name__)


class McpManager:
    def __init__(
        self,
        db: Database,
        secrets: SecretStore,
        settings: Settings,
        workspace_of: Callable[[str], Path],
    ) -> None:
        self.db = db
        self.secrets = secrets
        self.start_timeout = settings.mcp_start_timeout_seconds
        self.idle_ttl = settings.mcp_idle_ttl_seconds
        self.max_connections = settings.mcp_max_connections
        self._workspace_of = workspace_of
        self._connections: dict[str, McpConnection] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._reaper: asyncio.Task[None] | None = None

    # -- what a run gets ------------------------------------------------------------------

    async def toolsets_for(
        self, org_id: str, user_id: str | None, agent: AgentFile
    ) -> list[AbstractToolset[Any]]:
        """One toolset per MCP server the agent lists that is registered for the org (or for
        this agent) and enabled; nothing is started until the run uses a tool."""
        if not agent.mcp_servers:
            return []
        workspace = self._workspace_of(agent.id)
        async with self.db.session() as session:
            rows = list(
                await session.scalars(
                    select(McpServer)
                    .where(
                        McpServer.org_id == org_id,
                        McpServer.name.in_(agent.mcp_servers),
                        McpServer.enabled.is_(True),
                        or_(McpServer.agent_id.is_(None), McpServer.agent_id == agent.id),
                    )
                    .order_by(McpServer.name)
                )
            )
            launches = [
                await resolve_launch(
                    session, self.secrets, row, user_id=user_id, workspace=workspace
                )
                for row in rows
            ]
        unknown = set(agent.mcp_servers) - {row.name for row in rows}
        if unknown:
            log.warning(
                "agent %s lists MCP servers its org has not registered for it: %s",
                agent.id,
                ", ".join(sorted(unknown)),
            )
        # The MCP SDK and the agent loop load only once some agent uses an MCP server.
        from nexora.mcp.toolset import McpToolset

        return [McpToolset(self, launch) for launch in launches]

    # -- used by the toolsets -------------------------------------------------------------

    async def list_tools(self, launch: ServerLaunch) -> list[Tool]:
        connection = await self._connection(launch)
        try:
            return await connection.tools()
        except (ConnectionLost, CallTimedOut) as exc:
            await self._discard(connection)
            raise McpUnavailable(
                f"MCP server {launch.name!r} did not list its tools: {exc}"
            ) from exc

    async def call(
        self, launch: ServerLaunch, tool: str, arguments: dict[str, Any]
    ) -> CallToolResult:
        connection = await self._connection(launch)
        try:
            return await connection.call(tool, arguments)
        except ConnectionLost as exc:
            # Not repeated here: the call itself may be what brought the server down.
            await self._discard(connection)
            raise McpUnavailable(
                f"MCP server {launch.name!r} stopped during the call to {tool!r}; "
                "it will be restarted on the next call"
            ) from exc
        except CallTimedOut as exc:
            raise McpUnavailable(
                f"MCP server {launch.name!r} did not answer the call to {tool!r} within "
                f"{launch.timeout_seconds:g} s"
            ) from exc

    # -- connections ----------------------------------------------------------------------

    def running(self) -> list[ServerLaunch]:
        """The servers connected right now (for tests and the doctor)."""
        return [c.launch for c in self._connections.values() if c.alive]

    async def _connection(self, launch: ServerLaunch) -> McpConnection:
        lock = self._locks.setdefault(launch.key, asyncio.Lock())
        async with lock:
            existing = self._connections.get(launch.key)
            if existing is not None and existing.alive:
                return existing
            if existing is not None:  # died since it was last used: restart it, once
                log.info("MCP server %s stopped; restarting it", launch.name)
                await self._discard(existing)
            await self._make_room()
            from nexora.mcp.connection import McpConnection

            connection = McpConnection(launch, self.start_timeout)
            if launch.cwd is not None:
                launch.cwd.mkdir(parents=True, exist_ok=True)
            try:
                await connection.start()
            except StartFailed as exc:
                raise McpUnavailable(
                    f"MCP server {launch.name!r} could not be started: {exc}"
                ) from exc
            self._connections[launch.key] = connection
            return connection

    async def _discard(self, connection: McpConnection) -> None:
        key = connection.launch.key
        if self._connections.get(key) is connection:
            del self._connections[key]
        await connection.close()

    async def _make_room(self) -> None:
        if len(self._connections) < self.max_connections:
            return
        idle = [c for c in self._connections.values() if not c.busy]
        if not idle:
            raise McpUnavailable(
                f"this node already keeps {self.max_connections} MCP connections, all in use; "
                "try again shortly"
            )
        await self._discard(max(idle, key=lambda c: c.idle_seconds))

    async def reap_idle(self) -> int:
        """Stops connections idle longer than the TTL, and dead ones; returns how many."""
        due = [
            c
            for c in list(self._connections.values())
            if not c.alive or (not c.busy and c.idle_seconds >= self.idle_ttl)
        ]
        for connection in due:
            await self._discard(connection)
        return len(due)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().create_task(self._reap_forever())

    async def _reap_forever(self) -> None:
        interval = min(max(self.idle_ttl / 2, 0.05), 30.0)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reap_idle()
            except Exception:
                log.exception("stopping idle MCP servers failed")

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        connections = list(self._connections.values())
        self._connections.clear()
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
