"""The MCP server registry: which MCP servers an org (or one of its agents) may use.

This is configuration only: `nexora.mcp` starts and connects to the servers, reading these
rows and resolving the secret names in `secret_env` / `secret_headers` for each run's user.
Adding or removing a server is a capability change (`mcp.create`, `mcp.delete`) that goes
through the org's policy, so it may wait for an admin.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, NotFound
from nexora.governance.audit import AuditLog, RequestContext
from nexora.governance.capabilities import (
    ApplyContext,
    Capability,
    ChangeAction,
    register_applier,
)
from nexora.governance.capability_changes import Change, ChangeOutcome, submit
from nexora.storage.models import AgentRecord, McpServer

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# The same shape the secret store accepts, so every name here can exist there.
_SECRET_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
# A secret must not decide which code the server process loads.
_RESERVED_ENV = {
    "PATH",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "PYTHONPATH",
    "PYTHONHOME",
    "NODE_OPTIONS",
}
# Headers the HTTP transport itself manages; a secret must not replace them.
_RESERVED_HEADERS = {
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "accept",
    "mcp-session-id",
    "mcp-protocol-version",
}
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
MAX_ARGS = 64
MAX_SECRET_ENV = 32

DangerLevel = Literal["safe", "low", "medium", "high", "critical"]

Arg = Annotated[str, Field(max_length=2000)]


class McpServerSpec(BaseModel):
    """An MCP server's configuration, as requested; also the payload its approval stores."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    transport: Literal["stdio", "http"]
    command: str | None = Field(default=None, min_length=1, max_length=500)
    args: list[Arg] = Field(default_factory=list, max_length=MAX_ARGS)
    url: str | None = Field(default=None, min_length=1, max_length=500)
    secret_env: dict[str, str] = Field(default_factory=dict, max_length=MAX_SECRET_ENV)
    # HTTP header -> secret name; the secret's value is sent as the header's value as is.
    secret_headers: dict[str, str] = Field(default_factory=dict, max_length=MAX_SECRET_ENV)
    # How dangerous a call to any of its tools is, for the tool policy; None means medium.
    danger: DangerLevel | None = None
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    agent_id: str | None = Field(default=None, min_length=1, max_length=36)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("secret_env")
    @classmethod
    def _secret_env(cls, value: dict[str, str]) -> dict[str, str]:
        for env, secret in value.items():
            if not _ENV_NAME.match(env):
                raise ValueError(f"{env!r} is not an environment variable name")
            if env.upper() in _RESERVED_ENV or env.upper().startswith("DYLD_"):
                raise ValueError(f"{env!r} may not be set from a secret")
            if not _SECRET_NAME.match(secret):
                raise ValueError(f"{secret!r} is not a secret name")
        return value

    @field_validator("secret_headers")
    @classmethod
    def _secret_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for header, secret in value.items():
            if not _HEADER_NAME.match(header):
                raise ValueError(f"{header!r} is not an HTTP header name")
            if header.lower() in _RESERVED_HEADERS:
                raise ValueError(f"{header!r} may not be set from a secret")
            if not _SECRET_NAME.match(secret):
                raise ValueError(f"{secret!r} is not a secret name")
        return value

    @model_validator(mode="after")
    def _transport_fields(self) -> McpServerSpec:
        if self.transport == "stdio":
            if self.command is None:
                raise ValueError("a stdio server needs a command")
            if self.url is not None:
                raise ValueError("a stdio server takes a command, not a url")
            if self.secret_headers:
                raise ValueError("a stdio server takes secret_env, not secret_headers")
        else:
            if self.url is None:
                raise ValueError("an http server needs a url")
            if self.command is not None or self.args:
                raise ValueError("an http server takes a url, not a command or args")
            if self.secret_env:
                raise ValueError("an http server takes secret_headers, not secret_env")
        return self


async def list_servers(
    db: AsyncSession, actor: Actor, agent_id: str | None = None
) -> list[McpServer]:
    query = select(McpServer).where(McpServer.org_id == actor.org_id)
    if agent_id is not None:
        query = query.where(McpServer.agent_id == agent_id)
    return list(await db.scalars(query.order_by(McpServer.name)))


async def get_server(db: AsyncSession, actor: Actor, server_id: str) -> McpServer:
    server = await db.get(McpServer, server_id)
    if server is None or server.org_id != actor.org_id:
        raise NotFound("MCP server not found")
    return server


async def request_create(
    db: AsyncSession,
    actor: Actor,
    spec: McpServerSpec,
    request: RequestContext | None,
    audit: AuditLog,
) -> ChangeOutcome:
    """Adds the server now or queues the request, as the org's `mcp.create` policy says.

    Checked here too (not only when applied) so a request bound to fail is refused at once."""
    await _check_free(db, actor.org_id, spec)
    change = Change(Capability.MCP, ChangeAction.CREATE, spec.name, spec.model_dump(mode="json"))
    return await submit(db, actor, change, request, audit)


async def request_delete(
    db: AsyncSession,
    actor: Actor,
    server_id: str,
    request: RequestContext | None,
    audit: AuditLog,
) -> ChangeOutcome:
    server = await get_server(db, actor, server_id)
    payload = {"id": server.id, "name": server.name}
    return await submit(
        db, actor, Change(Capability.MCP, ChangeAction.DELETE, server.name, payload), request, audit
    )


async def _check_free(db: AsyncSession, org_id: str, spec: McpServerSpec) -> None:
    if spec.agent_id is not None:
        agent = await db.get(AgentRecord, spec.agent_id)
        if agent is None or agent.org_id != org_id:
            raise NotFound("agent not found")
    taken = await db.scalar(
        select(McpServer.id).where(McpServer.org_id == org_id, McpServer.name == spec.name)
    )
    if taken is not None:
        raise Conflict(f"an MCP server named {spec.name!r} already exists")


async def _apply_create(context: ApplyContext) -> dict[str, Any]:
    spec = McpServerSpec.model_validate(context.payload)
    await _check_free(context.db, context.org_id, spec)
    server = McpServer(
        org_id=context.org_id,
        agent_id=spec.agent_id,
        name=spec.name,
        transport=spec.transport,
        command=spec.command,
        args=spec.args,
        url=spec.url,
        secret_env=spec.secret_env,
        secret_headers=spec.secret_headers,
        danger=spec.danger,
        timeout_seconds=spec.timeout_seconds,
        enabled=True,
        created_by=context.requested_by,
    )
    context.db.add(server)
    try:
        await context.db.flush()
    except IntegrityError as exc:  # created by someone else since the check above
        raise Conflict(f"an MCP server named {spec.name!r} already exists") from exc
    return {"mcp_server_id": server.id, "name": server.name}


async def _apply_delete(context: ApplyContext) -> dict[str, Any]:
    server = await context.db.get(McpServer, str(context.payload["id"]))
    if server is None or server.org_id != context.org_id:
        raise NotFound(f"MCP server {context.target!r} no longer exists")
    await context.db.delete(server)
    await context.db.flush()
    return {"mcp_server_id": server.id, "name": server.name, "deleted": True}


register_applier("mcp", "create", _apply_create)
register_applier("mcp", "delete", _apply_delete)
