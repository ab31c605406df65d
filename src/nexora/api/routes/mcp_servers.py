"""The MCP server registry (configuration only: `nexora.mcp` starts the servers at run time).

Adding and removing servers are capability changes: 201/204 when the org's policy lets them
apply at once, 202 with an approval id when they wait for an admin.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.pending import PENDING_RESPONSE, pending_response
from nexora.governance import mcp_registry
from nexora.governance.mcp_registry import McpServerSpec
from nexora.storage.models import McpServer

router = APIRouter(prefix="/api/mcp-servers", tags=["mcp"])


class McpServerPublic(BaseModel):
    id: str
    name: str
    agent_id: str | None
    transport: str
    command: str | None
    args: list[Any]
    url: str | None
    secret_env: dict[str, Any]
    secret_headers: dict[str, Any]
    danger: str | None
    timeout_seconds: float
    enabled: bool
    created_by: str | None
    created_at: datetime

    @classmethod
    def of(cls, server: McpServer) -> McpServerPublic:
        return cls.model_validate(server, from_attributes=True)


@router.get("", operation_id="listMcpServers")
async def list_servers(
    actor: CurrentActor, db: DbSession, agent_id: str | None = Query(default=None, max_length=36)
) -> list[McpServerPublic]:
    return [McpServerPublic.of(s) for s in await mcp_registry.list_servers(db, actor, agent_id)]


@router.get("/{server_id}", operation_id="getMcpServer")
async def get_server(server_id: str, actor: CurrentActor, db: DbSession) -> McpServerPublic:
    return McpServerPublic.of(await mcp_registry.get_server(db, actor, server_id))


@router.post(
    "",
    status_code=201,
    response_model=McpServerPublic,
    responses=PENDING_RESPONSE,
    operation_id="createMcpServer",
)
async def create_server(
    body: McpServerSpec,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> McpServerPublic | JSONResponse:
    outcome = await mcp_registry.request_create(db, actor, body, info, platform.audit)
    if outcome.result is None:  # queued for approval
        return pending_response(outcome)
    server_id = str(outcome.result["mcp_server_id"])
    return McpServerPublic.of(await mcp_registry.get_server(db, actor, server_id))


@router.delete(
    "/{server_id}", status_code=204, responses=PENDING_RESPONSE, operation_id="deleteMcpServer"
)
async def delete_server(
    server_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    outcome = await mcp_registry.request_delete(db, actor, server_id, info, platform.audit)
    return pending_response(outcome) if outcome.pending else Response(status_code=204)
