"""Plugins: which are installed on this node and which this org has enabled.

Enabling and disabling are capability changes: 200 when the org's policy lets them apply at
once, 202 with an approval id when they wait for an admin (enabling does, by default).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.pending import PENDING_RESPONSE, pending_response
from nexora.plugins import enablement
from nexora.plugins.enablement import PluginState

router = APIRouter(prefix="/api/plugins", tags=["plugins"])


class PluginPublic(BaseModel):
    name: str
    version: str | None
    distribution: str | None
    installed: bool
    enabled: bool
    enabled_version: str | None
    loaded: bool
    error: str | None

    @classmethod
    def of(cls, state: PluginState) -> PluginPublic:
        return cls.model_validate(state, from_attributes=True)


@router.get("", operation_id="listPlugins")
async def list_plugins(
    actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[PluginPublic]:
    states = await enablement.states(db, platform.plugins, actor.org_id)
    return [PluginPublic.of(s) for s in states]


@router.post(
    "/{name}/enable",
    response_model=PluginPublic,
    responses=PENDING_RESPONSE,
    operation_id="enablePlugin",
)
async def enable_plugin(
    name: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> PluginPublic | JSONResponse:
    outcome = await enablement.request_enable(
        db, actor, platform.plugins, name, info, platform.audit
    )
    if outcome.pending:
        return pending_response(outcome)
    return PluginPublic.of(await enablement.state(db, platform.plugins, actor.org_id, name))


@router.post(
    "/{name}/disable",
    response_model=PluginPublic,
    responses=PENDING_RESPONSE,
    operation_id="disablePlugin",
)
async def disable_plugin(
    name: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> PluginPublic | JSONResponse:
    outcome = await enablement.request_disable(db, actor, name, info, platform.audit)
    if outcome.pending:
        return pending_response(outcome)
    return PluginPublic.of(await enablement.state(db, platform.plugins, actor.org_id, name))
