"""Tool calls waiting for a human, kept in the approval queue as `kind="tool_call"` rows.

A run that defers calls stores one approval per call (target = the run) and waits in
`waiting_approval` without holding a worker. Each decision (approve, reject, expiry) is
settled here: once none of the run's calls is still pending, the run goes back to the queue
and the worker that claims it turns the decisions into pydantic-ai `DeferredToolResults`.

`approver` says who may decide: `admin` (org admins) for high and critical calls, or `user`
(the run's own user, or an admin) for calls the policy lets the caller confirm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.governance.capabilities import ApprovalKind, ApprovalStatus
from nexora.runtime.events import RunStatus
from nexora.storage.base import new_id, utcnow
from nexora.storage.models import Approval, Run

if TYPE_CHECKING:
    from pydantic_ai.tools import DeferredToolRequests, DeferredToolResults

Approver = Literal["admin", "user"]
MAX_ARGS_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class PendingCall:
    approval: Approval
    call_id: str
    tool: str


def requests_for(
    run: Run, deferred: DeferredToolRequests, expires_at: datetime
) -> list[PendingCall]:
    """One approval row per deferred call, not yet added to a session."""
    pending = []
    for call in deferred.approvals:
        meta: dict[str, Any] = deferred.metadata.get(call.tool_call_id, {})
        approver: Approver = "user" if meta.get("outcome") == "confirm" else "admin"
        args = call.args_as_dict()
        approval = Approval(
            id=new_id(),
            org_id=run.org_id,
            kind=ApprovalKind.TOOL_CALL,
            requester_id=run.user_id,
            capability="tool",
            action="call",
            target=run.id,
            payload={
                "run_id": run.id,
                "agent_id": run.agent_id,
                "call_id": call.tool_call_id,
                "tool": call.tool_name,
                "args": args if len(str(args)) <= MAX_ARGS_CHARS else {"truncated": True},
                "approver": approver,
            },
            risk=str(meta.get("danger", "high")),
            status=ApprovalStatus.PENDING,
            findings=list(meta.get("reasons", [])),
            request_context={},
            expires_at=expires_at,
        )
        pending.append(PendingCall(approval, call.tool_call_id, call.tool_name))
    return pending


def may_decide(actor: Actor, approval: Approval) -> bool:
    if actor.org_id != approval.org_id:
        return False
    if actor.is_admin:
        return True
    return approval.payload.get("approver") == "user" and actor.user_id == approval.requester_id


async def for_run(
    db: AsyncSession, org_id: str, run_id: str, status: ApprovalStatus | None = None
) -> list[Approval]:
    query = select(Approval).where(
        Approval.org_id == org_id,
        Approval.kind == ApprovalKind.TOOL_CALL,
        Approval.target == run_id,
    )
    if status is not None:
        query = query.where(Approval.status == status)
    return list(await db.scalars(query.order_by(Approval.created_at, Approval.id)))


async def release_when_settled(db: AsyncSession, approval: Approval) -> bool:
    """Queues the run again once none of its calls waits; True if this call released it.
    Runs in the caller's transaction, after the decision was written."""
    if approval.kind != ApprovalKind.TOOL_CALL:
        return False
    waiting = await for_run(db, approval.org_id, approval.target, ApprovalStatus.PENDING)
    if waiting:
        return False
    released = await db.execute(
        update(Run)
        .where(Run.id == approval.target, Run.status == RunStatus.WAITING_APPROVAL)
        .values(status=RunStatus.PENDING, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return released.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def results_for(
    db: AsyncSession, run: Run, call_ids: list[str]
) -> DeferredToolResults | None:
    """What the humans decided about these calls, as the agent loop takes it; None when none
    of them waited for a human (a run resumed after a crash in the middle of its tools)."""
    from pydantic_ai.tools import DeferredToolResults, ToolDenied

    asked = {a.payload.get("call_id"): a for a in await for_run(db, run.org_id, run.id)}
    results = DeferredToolResults()
    for call_id in call_ids:
        approval = asked.get(call_id)
        if approval is None:
            continue
        if approval.status == ApprovalStatus.APPROVED:
            results.approvals[call_id] = True
        else:
            results.approvals[call_id] = ToolDenied(denial(approval))
    return results if results.approvals else None


def denial(approval: Approval) -> str:
    if approval.status == ApprovalStatus.PENDING:
        return "The tool call was not approved; it did not run."
    if approval.status == ApprovalStatus.EXPIRED:
        return "Nobody approved the tool call in time; it did not run."
    why = f": {approval.reason}" if approval.reason else ""
    return f"A human rejected the tool call{why}. It did not run; do not try it again."
