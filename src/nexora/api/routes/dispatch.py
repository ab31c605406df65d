"""Dispatch: hand an objective to the org's secretary; read how it went."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.teams.dispatch import REPLY_API, public

router = APIRouter(prefix="/api/dispatch", tags=["dispatch"])


class DispatchRequest(BaseModel):
    objective: str = Field(min_length=1, max_length=20_000)
    # Capabilities or role names, one agent each; when absent the secretary names them.
    required_roles: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=12
    )
    playbook: str | None = Field(default=None, min_length=1, max_length=64)
    # "api" (read the result with GET), a webhook URL the result is posted to, or
    # "channel:<channel_id>:<conversation>" to have it posted in a chat.
    reply_to: str = Field(default=REPLY_API, min_length=1, max_length=2000)


@router.post("", status_code=201, operation_id="dispatch")
async def dispatch(
    body: DispatchRequest,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> dict[str, Any]:
    created = await platform.dispatch.create(
        db, actor, body.objective, body.required_roles, body.playbook, body.reply_to
    )
    platform.audit.record(
        "dispatch.create",
        actor=actor,
        resource_type="dispatch",
        resource_id=created.id,
        request=info,
        detail={"agents": [a["agent_id"] for a in created.assignments], "status": created.status},
    )
    return public(created)


@router.get("/{dispatch_id}", operation_id="getDispatch")
async def get_dispatch(
    dispatch_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> dict[str, Any]:
    return public(await platform.dispatch.get(db, actor, dispatch_id))
