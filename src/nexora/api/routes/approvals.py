"""The approval queue, for org admins: review pending capability changes and decide them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from nexora.api.deps import AdminActor, DbSession, PlatformDep, RequestInfo
from nexora.governance.capabilities import ApprovalStatus
from nexora.storage.models import Approval

router = APIRouter(prefix="/api/admin/approvals", tags=["approvals"])


class ApprovalPublic(BaseModel):
    id: str
    kind: str
    capability: str
    action: str
    target: str
    payload: dict[str, Any]
    risk: str
    status: ApprovalStatus
    reason: str | None
    findings: list[Any]
    result: dict[str, Any] | None
    requester_id: str | None
    request_context: dict[str, Any]
    decided_by: str | None
    decided_at: datetime | None
    expires_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, approval: Approval) -> ApprovalPublic:
        return cls.model_validate(approval, from_attributes=True)


class ApprovalPage(BaseModel):
    items: list[ApprovalPublic]
    next_cursor: str | None


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.get("", operation_id="listApprovals")
async def list_approvals(
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    status: ApprovalStatus | None = None,
    cursor: str | None = Query(default=None, max_length=500),
    limit: int = Query(default=50, ge=1, le=200),
) -> ApprovalPage:
    page = await platform.approvals.list(db, actor, status, cursor, limit)
    return ApprovalPage(
        items=[ApprovalPublic.of(a) for a in page.items], next_cursor=page.next_cursor
    )


@router.get("/{approval_id}", operation_id="getApproval")
async def get_approval(
    approval_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep
) -> ApprovalPublic:
    return ApprovalPublic.of(await platform.approvals.get(db, actor, approval_id))


@router.post("/{approval_id}/approve", operation_id="approveApproval")
async def approve(
    approval_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> ApprovalPublic:
    """Applies the change and marks it approved, in one transaction; 409 if it was already
    decided, has expired, or can no longer be applied."""
    return ApprovalPublic.of(await platform.approvals.approve(db, actor, approval_id, info))


@router.post("/{approval_id}/reject", operation_id="rejectApproval")
async def reject(
    approval_id: str,
    body: Rejection,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> ApprovalPublic:
    approval = await platform.approvals.reject(db, actor, approval_id, body.reason, info)
    return ApprovalPublic.of(approval)
