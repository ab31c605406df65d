"""The approval queue: reading, deciding and expiring pending capability changes.

Only admins of the org decide, and they may decide their own requests (a one-admin
installation must not deadlock; the audit record says `self_approved`). An approved change
takes effect through its applier inside the transaction that marks it approved, so a change
is never approved without effect nor applied without approval. `kind="tool_call"` rows are
tool calls a paused run waits on (see `tool_approvals`): deciding the last of a run's calls
puts the run back in the queue.
"""

from __future__ import annotations

import base64
import builtins
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, Forbidden, InvalidInput, NotFound
from nexora.governance import capabilities as caps
from nexora.governance import tool_approvals
from nexora.governance.audit import AuditLog, RequestContext
from nexora.governance.capabilities import ApprovalKind, ApprovalStatus
from nexora.governance.capability_changes import apply_change
from nexora.periodic import Periodic
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import Approval

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ApprovalPage:
    items: list[Approval]
    next_cursor: str | None


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they are stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _encode_cursor(approval: Approval) -> str:
    raw = json.dumps([_aware(approval.created_at).isoformat(), approval.id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, approval_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(created), str(approval_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor: not a cursor this API returned") from exc


def _requester(approval: Approval) -> dict[str, Any]:
    context = approval.request_context or {}
    return {
        "requester_id": approval.requester_id,
        "requester_ip": context.get("ip"),
        "requester_user_agent": context.get("user_agent"),
    }


class Approvals:
    """Decisions on and expiry of approvals; one per process, owned by the platform, which
    starts its periodic expiry sweep (reads also expire overdue requests, lazily)."""

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        sweep_seconds: float = 60.0,
        run_released: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self._db = db
        self._audit = audit
        # Called with a run's id once its last pending tool call is decided, after commit.
        self._run_released = run_released
        # Reads expire overdue requests lazily; the sweep catches the ones nobody reads.
        self._sweeper = Periodic("approval-expiry", sweep_seconds, self._sweep_once)

    async def get(self, db: AsyncSession, actor: Actor, approval_id: str) -> Approval:
        """One approval of the actor's org; an overdue pending one becomes `expired` here."""
        approval = await db.get(Approval, approval_id, populate_existing=True)
        if approval is None or approval.org_id != actor.org_id:
            raise NotFound("approval not found")
        if approval.status == ApprovalStatus.PENDING and _aware(approval.expires_at) <= utcnow():
            await self._expire(db, approval)
            await db.refresh(approval)
        return approval

    async def list(
        self,
        db: AsyncSession,
        actor: Actor,
        status: ApprovalStatus | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> ApprovalPage:
        """Newest first, in pages; `next_cursor` continues after the last item."""
        await self.expire_due(db, actor.org_id)
        query = select(Approval).where(Approval.org_id == actor.org_id)
        if status is not None:
            query = query.where(Approval.status == status)
        if cursor:
            created, last_id = _decode_cursor(cursor)
            query = query.where(
                or_(
                    Approval.created_at < created,
                    and_(Approval.created_at == created, Approval.id < last_id),
                )
            )
        query = query.order_by(Approval.created_at.desc(), Approval.id.desc()).limit(limit + 1)
        items = list(await db.scalars(query))
        more = len(items) > limit
        items = items[:limit]
        return ApprovalPage(items, _encode_cursor(items[-1]) if more else None)

    async def approve(
        self, db: AsyncSession, actor: Actor, approval_id: str, request: RequestContext | None
    ) -> Approval:
        approval = await self._claim(db, actor, approval_id, ApprovalStatus.APPROVED, None)
        if approval.kind == ApprovalKind.TOOL_CALL:
            return await self._settle_tool_call(db, actor, approval, request)
        capability, action = (
            caps.Capability(approval.capability),
            caps.ChangeAction(approval.action),
        )
        applier = caps.applier_for(capability, action)
        if applier is None:
            await db.rollback()
            raise Conflict(f"{capability}.{action} changes are not supported")
        context = caps.ApplyContext(
            db=db,
            org_id=approval.org_id,
            capability=capability,
            action=action,
            target=approval.target,
            payload=approval.payload,
            requested_by=approval.requester_id,
            approval_id=approval.id,
        )
        # The result must be set before `apply_change` commits, so it is written with the status.
        applying = _Recording(applier, approval)
        detail = {"risk": approval.risk, "decided_by": actor.user_id, **_requester(approval)}
        try:
            await apply_change(applying, context, actor, request, self._audit, detail)
        except NotFound as exc:
            # What the change refers to is gone: the request stays pending, to be rejected.
            raise Conflict(f"the change can no longer be applied: {exc.detail}") from exc
        self._audit.record(
            "approval.approved",
            actor=actor,
            resource_type="approval",
            resource_id=approval.id,
            request=request,
            detail={**detail, "self_approved": actor.user_id == approval.requester_id},
        )
        return approval

    async def reject(
        self,
        db: AsyncSession,
        actor: Actor,
        approval_id: str,
        reason: str,
        request: RequestContext | None,
    ) -> Approval:
        approval = await self._claim(db, actor, approval_id, ApprovalStatus.REJECTED, reason)
        if approval.kind == ApprovalKind.TOOL_CALL:
            return await self._settle_tool_call(db, actor, approval, request)
        await db.commit()
        detail = {"risk": approval.risk, "reason": reason, **_requester(approval)}
        self._audit.record(
            "approval.rejected",
            actor=actor,
            resource_type="approval",
            resource_id=approval.id,
            request=request,
            detail=detail,
        )
        self._audit.record(
            f"{approval.capability}.{approval.action}",
            actor=actor,
            resource_type=approval.capability,
            resource_id=approval.target,
            status="denied",
            request=request,
            detail={"approval_id": approval.id, **detail},
        )
        return approval

    async def _claim(
        self,
        db: AsyncSession,
        actor: Actor,
        approval_id: str,
        status: ApprovalStatus,
        reason: str | None,
    ) -> Approval:
        """Moves a pending approval to `status` in the open transaction, exactly once: of two
        admins deciding at the same moment, the conditional update lets only one through."""
        approval = await self.get(db, actor, approval_id)
        if approval.kind == ApprovalKind.TOOL_CALL:
            if not tool_approvals.may_decide(actor, approval):
                raise Forbidden("only an org admin may decide this tool call")
        elif not actor.is_admin:
            raise Forbidden("only admins of the organization decide approvals")
        if approval.status == ApprovalStatus.EXPIRED:
            raise Conflict(
                f"approval {approval.id} expired at {_aware(approval.expires_at).isoformat()} "
                "and can no longer be decided; request the change again"
            )
        if approval.status != ApprovalStatus.PENDING:
            raise Conflict(f"approval {approval.id} was already {approval.status}")
        now = utcnow()
        claimed = await db.execute(
            update(Approval)
            .where(
                Approval.id == approval.id,
                Approval.status == ApprovalStatus.PENDING,
                Approval.expires_at > now,
            )
            .values(
                status=status,
                reason=reason,
                decided_by=actor.user_id,
                decided_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            await db.rollback()
            raise Conflict(f"approval {approval.id} was decided or expired meanwhile")
        approval.status, approval.reason, approval.decided_by = status, reason, actor.user_id
        approval.decided_at, approval.updated_at = now, now
        return approval

    async def expire_due(self, db: AsyncSession, org_id: str | None = None) -> int:
        """Marks overdue pending approvals `expired` (one org, or all); returns how many."""
        query = select(Approval).where(
            Approval.status == ApprovalStatus.PENDING, Approval.expires_at <= utcnow()
        )
        if org_id is not None:
            query = query.where(Approval.org_id == org_id)
        due = list(await db.scalars(query.limit(500)))
        expired = 0
        for approval in due:
            expired += await self._expire(db, approval)
        return expired

    async def _expire(self, db: AsyncSession, approval: Approval) -> int:
        # Conditional, so that with several processes sweeping each expiry is audited once.
        changed = await db.execute(
            update(Approval)
            .where(Approval.id == approval.id, Approval.status == ApprovalStatus.PENDING)
            .values(status=ApprovalStatus.EXPIRED, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            await db.commit()
            return 0
        released = await tool_approvals.release_when_settled(db, approval)
        await db.commit()
        if released:
            await self._released(approval.target)
        context = approval.request_context or {}
        origin = RequestContext(ip=context.get("ip"), user_agent=context.get("user_agent"))
        detail = {"expires_at": _aware(approval.expires_at).isoformat(), **_requester(approval)}
        for action, status in (
            ("approval.expired", "success"),
            (f"{approval.capability}.{approval.action}", "denied"),
        ):
            self._audit.record(
                action,
                actor=None,
                org_id=approval.org_id,
                resource_type="approval",
                resource_id=approval.id,
                status=status,
                request=origin,
                detail={"target": approval.target, **detail},
            )
        return 1

    async def decide_run(
        self,
        db: AsyncSession,
        actor: Actor,
        run_id: str,
        approve: bool,
        reason: str | None,
        request: RequestContext | None,
    ) -> builtins.list[Approval]:
        """Decides every call of one run that waits and that the actor may decide (the chat's
        `/confirm`); calls only an admin may decide are never decided by anyone else."""
        waiting = await tool_approvals.for_run(db, actor.org_id, run_id, ApprovalStatus.PENDING)
        if not waiting:
            raise Conflict("no tool call of this run is waiting for a decision")
        mine = [a for a in waiting if tool_approvals.may_decide(actor, a)]
        if not mine:
            raise Forbidden("the waiting tool calls need the approval of an org admin")
        decided = []
        for approval in mine:
            if approve:
                decided.append(await self.approve(db, actor, approval.id, request))
            else:
                why = reason or "rejected by the user"
                decided.append(await self.reject(db, actor, approval.id, why, request))
        return decided

    async def _settle_tool_call(
        self,
        db: AsyncSession,
        actor: Actor,
        approval: Approval,
        request: RequestContext | None,
    ) -> Approval:
        released = await tool_approvals.release_when_settled(db, approval)
        await db.commit()
        payload = approval.payload
        self._audit.record(
            f"approval.{approval.status}",
            actor=actor,
            resource_type="approval",
            resource_id=approval.id,
            request=request,
            detail={
                "kind": approval.kind,
                "tool": payload.get("tool"),
                "run_id": approval.target,
                "call_id": payload.get("call_id"),
                "danger": approval.risk,
                "reason": approval.reason,
                "self_approved": actor.user_id == approval.requester_id,
            },
        )
        if released:
            await self._released(approval.target)
        return approval

    async def _released(self, run_id: str) -> None:
        if self._run_released is None:
            return
        try:
            await self._run_released(run_id)
        except Exception:  # the workers' poll finds the run anyway
            log.exception("could not announce that run %s may continue", run_id)

    def start(self) -> None:
        self._sweeper.start()

    async def stop(self) -> None:
        await self._sweeper.stop()

    async def _sweep_once(self) -> None:
        async with self._db.session() as session:
            await self.expire_due(session)


class _Recording:
    """Wraps an applier so its result lands on the approval in the same transaction."""

    def __init__(self, applier: caps.Applier, approval: Approval) -> None:
        self._applier = applier
        self._approval = approval

    async def __call__(self, context: caps.ApplyContext) -> dict[str, Any]:
        result = await self._applier(context)
        self._approval.result = result
        return result
