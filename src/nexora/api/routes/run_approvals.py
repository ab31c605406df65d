"""A run's tool calls that wait for a human, and the run user's answer to them.

Org admins decide any call through the approval queue as well; here the run's own user may
confirm the calls the policy lets the caller confirm, and sees the ones only an admin may.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.routes.approvals import ApprovalPublic
from nexora.governance import tool_approvals

router = APIRouter(prefix="/api/runs", tags=["runs"])


class RunDecision(BaseModel):
    approve: bool
    reason: str | None = Field(default=None, max_length=2000)


@router.get("/{run_id}/approvals", operation_id="listRunApprovals")
async def list_run_approvals(
    run_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[ApprovalPublic]:
    run = await platform.runs.get(db, actor, run_id)
    return [ApprovalPublic.of(a) for a in await tool_approvals.for_run(db, run.org_id, run.id)]


@router.post("/{run_id}/decision", operation_id="decideRunApprovals")
async def decide_run_approvals(
    run_id: str,
    body: RunDecision,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> list[ApprovalPublic]:
    """Approves or denies every waiting call of the run that the caller may decide; 403 when
    they all need an admin, 409 when nothing waits."""
    run = await platform.runs.get(db, actor, run_id)
    decided = await platform.approvals.decide_run(
        db, actor, run.id, body.approve, body.reason, info
    )
    return [ApprovalPublic.of(a) for a in decided]
