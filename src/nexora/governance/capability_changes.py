"""The gate every capability change goes through: apply it now, or queue it for approval.

Who may request: admins and operators may request any capability change for their own org
(the route table keeps viewers out); the org's policy (see `capabilities`) then decides
whether it applies at once or waits for an admin, the same for both roles. A change only
ever takes effect through its registered applier, whichever way it arrives.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, InvalidInput
from nexora.governance import capabilities as caps
from nexora.governance.audit import AuditLog, RequestContext
from nexora.storage.base import utcnow
from nexora.storage.models import Approval

EXPIRY_KEY = "approval_expiry_hours"
DEFAULT_EXPIRY_HOURS = 72.0
MAX_EXPIRY_HOURS = 24.0 * 365


@dataclass(frozen=True, slots=True)
class Change:
    """A requested capability change; `payload` is what its applier needs, as JSON."""

    capability: caps.Capability
    action: caps.ChangeAction
    target: str  # what the change is about, for people: a name, not an id, where possible
    payload: dict[str, Any]
    findings: list[dict[str, Any]] = field(default_factory=list)  # from scanners
    # What the scanners make of it: the policy's risk is raised to this, never lowered.
    risk_floor: caps.Risk | None = None


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    decision: caps.Decision
    approval_id: str | None  # set when the change waits for approval
    result: dict[str, Any] | None  # set when it was applied at once

    @property
    def pending(self) -> bool:
        return self.approval_id is not None


async def expiry_hours(db: AsyncSession, org_id: str) -> float:
    """The org's `approval_expiry_hours` runtime setting, or 72 when unset or unusable."""
    value = await caps.runtime_value(db, org_id, EXPIRY_KEY)
    with contextlib.suppress(TypeError, ValueError):
        hours = float(value)
        if not isinstance(value, bool) and 0 < hours <= MAX_EXPIRY_HOURS:
            return hours
    return DEFAULT_EXPIRY_HOURS


async def submit(
    db: AsyncSession,
    actor: Actor,
    change: Change,
    request: RequestContext | None,
    audit: AuditLog,
) -> ChangeOutcome:
    """Applies `change` at once if the policy allows it, or stores it as a pending approval."""
    applier = caps.applier_for(change.capability, change.action)
    if applier is None:
        raise InvalidInput(f"{change.capability}.{change.action} changes are not supported")
    decision = await caps.evaluate(db, actor.org_id, change.capability, change.action)
    if change.risk_floor is not None:
        decision = decision.at_least(change.risk_floor)
    policy = {"risk": decision.risk, "rule": decision.rule, "policy_source": decision.source}
    if not decision.needs_approval:
        context = caps.ApplyContext(
            db=db,
            org_id=actor.org_id,
            capability=change.capability,
            action=change.action,
            target=change.target,
            payload=change.payload,
            requested_by=actor.user_id,
            approval_id=None,
        )
        result = await apply_change(applier, context, actor, request, audit, policy)
        return ChangeOutcome(decision, None, result)
    now = utcnow()
    waiting = await db.scalar(
        select(Approval.id).where(
            Approval.org_id == actor.org_id,
            Approval.status == caps.ApprovalStatus.PENDING,
            Approval.capability == change.capability,
            Approval.action == change.action,
            Approval.target == change.target,
            Approval.expires_at > now,
        )
    )
    if waiting is not None:
        raise Conflict(f"this change is already waiting for approval {waiting}")
    approval = Approval(
        org_id=actor.org_id,
        kind=caps.ApprovalKind.CAPABILITY,
        requester_id=actor.user_id,
        capability=change.capability,
        action=change.action,
        target=change.target,
        payload=change.payload,
        risk=decision.risk,
        status=caps.ApprovalStatus.PENDING,
        findings=change.findings,
        request_context={
            "username": actor.username,
            "role": actor.role,
            "via": actor.via,
            "ip": request.ip if request else None,
            "user_agent": request.user_agent if request else None,
        },
        expires_at=now + timedelta(hours=await expiry_hours(db, actor.org_id)),
    )
    db.add(approval)
    await db.commit()
    audit.record(
        "approval.requested",
        actor=actor,
        resource_type="approval",
        resource_id=approval.id,
        request=request,
        detail={
            "change": f"{change.capability}.{change.action}",
            "target": change.target,
            "expires_at": approval.expires_at.isoformat(),
            **policy,
        },
    )
    return ChangeOutcome(decision, approval.id, None)


async def apply_change(
    applier: caps.Applier,
    context: caps.ApplyContext,
    actor: Actor,
    request: RequestContext | None,
    audit: AuditLog,
    detail: dict[str, Any],
) -> dict[str, Any]:
    """Runs the applier and commits its transaction; the capability action itself (`mcp.create`
    and so on) is audited whether it succeeds or fails."""
    action = f"{context.capability}.{context.action}"
    detail = {"target": context.target, "approval_id": context.approval_id, **detail}
    try:
        result = await applier(context)
        await context.db.commit()
    except Exception as exc:
        await context.db.rollback()
        failure = getattr(exc, "detail", type(exc).__name__)
        audit.record(
            action,
            actor=actor,
            resource_type=context.capability,
            resource_id=context.target,
            status="failed",
            request=request,
            detail={**detail, "error": failure},
        )
        raise
    audit.record(
        action,
        actor=actor,
        resource_type=context.capability,
        resource_id=context.target,
        request=request,
        detail={**detail, "result": result},
    )
    return result
