from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from nexora.api.deps import AdminActor, DbSession, PlatformDep
from nexora.governance.audit_query import AuditFilter, as_dict, export, search

router = APIRouter(prefix="/api/admin/audit", tags=["audit"])


class AuditEventPublic(BaseModel):
    seq: int | None
    id: str
    created_at: datetime
    org_id: str | None
    actor_id: str | None
    action: str
    resource_type: str | None
    resource_id: str | None
    status: str
    ip: str | None
    user_agent: str | None
    detail: dict[str, Any]
    prev_hash: str | None
    hash: str | None


class AuditPage(BaseModel):
    items: list[AuditEventPublic]
    next_cursor: int | None


@router.get("", operation_id="listAudit")
async def list_audit(
    admin: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    actor: str | None = Query(default=None, max_length=64, description="User id or username."),
    action: str | None = Query(
        default=None, max_length=64, description="e.g. auth.login or chat.*"
    ),
    status: Literal["success", "failure", "denied"] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: int | None = Query(default=None, ge=1, description="Continue below this seq."),
    limit: int = Query(default=100, ge=1, le=1000),
) -> AuditPage:
    await platform.audit.writer.flush()  # include what this process just recorded
    f = AuditFilter(actor=actor, action=action, status=status, since=since, until=until)
    rows, next_cursor = await search(db, admin, f, cursor, limit)
    return AuditPage(items=[AuditEventPublic(**as_dict(r)) for r in rows], next_cursor=next_cursor)


@router.get("/export", operation_id="exportAudit", response_class=StreamingResponse)
async def export_audit(
    admin: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    format: Literal["jsonl", "csv"] = "jsonl",
    actor: str | None = Query(default=None, max_length=64),
    action: str | None = Query(default=None, max_length=64),
    status: Literal["success", "failure", "denied"] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> StreamingResponse:
    await platform.audit.writer.flush()
    f = AuditFilter(actor=actor, action=action, status=status, since=since, until=until)
    media = "text/csv" if format == "csv" else "application/x-ndjson"

    async def body() -> AsyncIterator[str]:
        async with platform.db.session() as session:
            async for chunk in export(session, admin, f, format):
                yield chunk

    platform.audit.record(
        "audit.export", actor=admin, resource_type="audit", detail={"format": format}
    )
    return StreamingResponse(
        body(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="audit.{format}"'},
    )
