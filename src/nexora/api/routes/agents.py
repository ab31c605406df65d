from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response

from nexora.agents.config import AgentSpec
from nexora.agents.registry import AgentView
from nexora.api.deps import AdminActor, CurrentActor, DbSession, PlatformDep, RequestInfo

router = APIRouter(prefix="/api/agents", tags=["agents"])


class AgentPublic(AgentSpec):
    id: str
    org_id: str
    workspace: str
    load_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: AgentView) -> AgentPublic:
        return cls(
            **view.config.model_dump(exclude={"id", "org_id"}),
            id=view.record.id,
            org_id=view.record.org_id,
            workspace=str(view.workspace),
            load_error=view.record.load_error,
            created_at=view.record.created_at,
            updated_at=view.record.updated_at,
        )


@router.get("", operation_id="listAgents")
async def list_agents(
    actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[AgentPublic]:
    return [AgentPublic.of(v) for v in await platform.agents.visible(db, actor)]


@router.post("", status_code=201, operation_id="createAgent")
async def create_agent(
    body: AgentSpec, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> AgentPublic:
    view = await platform.agents.create(db, actor, body)
    platform.audit.record(
        "agent.create",
        actor=actor,
        resource_type="agent",
        resource_id=view.record.id,
        request=info,
        detail={"name": body.name},
    )
    return AgentPublic.of(view)


@router.get("/{agent_id}", operation_id="getAgent")
async def get_agent(
    agent_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> AgentPublic:
    return AgentPublic.of(await platform.agents.get(db, actor, agent_id))


@router.put("/{agent_id}", operation_id="updateAgent")
async def update_agent(
    agent_id: str,
    body: AgentSpec,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> AgentPublic:
    view = await platform.agents.update(db, actor, agent_id, body)
    platform.pool.evict(agent_id)
    platform.audit.record(
        "agent.update",
        actor=actor,
        resource_type="agent",
        resource_id=agent_id,
        request=info,
        detail={"name": body.name},
    )
    return AgentPublic.of(view)


@router.post("/{agent_id}/reload", operation_id="reloadAgent")
async def reload_agent(
    agent_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep
) -> AgentPublic:
    """Re-reads a hand-edited agent.yaml; `load_error` reports a file that cannot be used."""
    view = await platform.agents.reload(db, actor, agent_id)
    platform.pool.evict(agent_id)
    return AgentPublic.of(view)


@router.delete("/{agent_id}", status_code=204, operation_id="deleteAgent")
async def delete_agent(
    agent_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    await platform.agents.delete(db, actor, agent_id)
    platform.pool.evict(agent_id)
    platform.audit.record(
        "agent.delete", actor=actor, resource_type="agent", resource_id=agent_id, request=info
    )
    return Response(status_code=204)
