"""`POST /api/admin/guard/check`: what the guards would say about a command, program or path,
judged in one of the org's agents' workspace (admins tuning policies, support answering
"why was this blocked?")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from nexora.api.deps import AdminActor, DbSession, PlatformDep
from nexora.security.checks import MAX_INPUT, GuardKind, check_input
from nexora.security.file_guard import file_guard_for

router = APIRouter(prefix="/api/admin/guard", tags=["guard"])

# Where relative paths land when no agent is named: a workspace no agent owns.
UNOWNED_WORKSPACE = ("_guard-check", "workspace")


class GuardCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: GuardKind
    input: str = Field(min_length=1, max_length=MAX_INPUT)
    agent_id: str | None = Field(default=None, min_length=1, max_length=36)
    write: bool = False  # for paths: judge writing rather than reading


@router.post("/check", operation_id="checkGuard")
async def check(
    body: GuardCheck, actor: AdminActor, db: DbSession, platform: PlatformDep
) -> dict[str, Any]:
    settings = platform.settings
    if body.agent_id is None:
        workspace = settings.agents_dir.joinpath(*UNOWNED_WORKSPACE)
    else:
        workspace = (await platform.agents.get(db, actor, body.agent_id)).workspace
    files = file_guard_for(settings, workspace)
    return check_input(body.kind, body.input, files, write=body.write).as_json()
