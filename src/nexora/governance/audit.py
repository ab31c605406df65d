"""The audit trail's write side: one small interface every subsystem records through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.governance.audit_chain import append
from nexora.governance.records import RecordSink
from nexora.storage.base import new_id, utcnow
from nexora.storage.models import AuditEvent


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Where a request came from, for the audit record."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    action: str
    org_id: str | None
    actor_id: str | None
    resource_type: str | None
    resource_id: str | None
    status: str
    ip: str | None
    user_agent: str | None
    detail: dict[str, Any] = field(default_factory=dict)


class AuditLog:
    def __init__(self, sink: RecordSink, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.writer = sink.writer
        self._sink = sink
        sink.register(AuditRecord, self._write)

    def record(
        self,
        action: str,
        *,
        actor: Actor | None,
        resource_type: str | None = None,
        resource_id: str | None = None,
        status: str = "success",
        request: RequestContext | None = None,
        detail: dict[str, Any] | None = None,
        org_id: str | None = None,
        actor_id: str | None = None,
    ) -> None:
        """Queues an event. Work done for a user outside a request (a run's tool calls) names
        them with `org_id` and `actor_id` instead of an `actor`."""
        if not self.enabled:
            return
        self._sink.submit(
            AuditRecord(
                action=action,
                org_id=actor.org_id if actor else org_id,
                actor_id=(actor.user_id if actor.via != "local" else None) if actor else actor_id,
                resource_type=resource_type,
                resource_id=resource_id,
                status=status,
                ip=request.ip if request else None,
                user_agent=(request.user_agent or "")[:300] if request else None,
                detail=detail or {},
            )
        )

    @staticmethod
    async def _write(session: AsyncSession, batch: list[AuditRecord]) -> None:
        await append(
            session,
            [
                AuditEvent(
                    id=new_id(),
                    org_id=r.org_id,
                    actor_id=r.actor_id,
                    action=r.action,
                    resource_type=r.resource_type,
                    resource_id=r.resource_id,
                    status=r.status,
                    ip=r.ip,
                    user_agent=r.user_agent,
                    detail=r.detail,
                    created_at=utcnow(),
                )
                for r in batch
            ],
        )
