"""Reading the audit trail: filtered, paginated and exported, in the scope of an admin."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.governance.audit_chain import event_content
from nexora.storage.models import AuditEvent, User

EXPORT_COLUMNS = (
    "seq",
    "id",
    "created_at",
    "org_id",
    "actor_id",
    "action",
    "resource_type",
    "resource_id",
    "status",
    "ip",
    "user_agent",
    "detail",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def _conditions(db: AsyncSession, admin: Actor, f: AuditFilter) -> list[ColumnElement[bool]]:
    scope: ColumnElement[bool] = AuditEvent.org_id == admin.org_id
    if admin.platform_admin:
        # Failed logins of unknown users belong to no org; the platform admin sees them.
        scope = or_(scope, AuditEvent.org_id.is_(None))
    where = [scope]
    if f.actor:
        user_id = await db.scalar(select(User.id).where(User.username == f.actor))
        where.append(AuditEvent.actor_id == (user_id or f.actor))
    if f.action:
        # `chat.*` selects a family of actions.
        if f.action.endswith(".*"):
            where.append(AuditEvent.action.startswith(f.action[:-1], autoescape=True))
        else:
            where.append(AuditEvent.action == f.action)
    if f.status:
        where.append(AuditEvent.status == f.status)
    if f.since:
        where.append(AuditEvent.created_at >= f.since)
    if f.until:
        where.append(AuditEvent.created_at < f.until)
    return where


async def search(
    db: AsyncSession, admin: Actor, f: AuditFilter, cursor: int | None, limit: int
) -> tuple[list[AuditEvent], int | None]:
    """Newest first; `cursor` is the `seq` to continue below."""
    where = await _conditions(db, admin, f)
    if cursor is not None:
        where.append(AuditEvent.seq < cursor)
    rows = list(
        await db.scalars(
            select(AuditEvent)
            .where(*where, AuditEvent.seq.is_not(None))
            .order_by(AuditEvent.seq.desc())
            .limit(limit)
        )
    )
    next_cursor = rows[-1].seq if len(rows) == limit else None
    return rows, next_cursor


def as_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        **event_content(event),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


async def export(
    db: AsyncSession, admin: Actor, f: AuditFilter, fmt: str, batch: int = 1000
) -> AsyncIterator[str]:
    """Oldest first, in batches, as JSON lines or CSV (with a header row)."""
    where = await _conditions(db, admin, f)
    if fmt == "csv":
        yield _csv_row(EXPORT_COLUMNS)
    last = 0
    while True:
        rows = list(
            await db.scalars(
                select(AuditEvent)
                .where(*where, AuditEvent.seq > last)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        )
        for row in rows:
            data = as_dict(row)
            if fmt == "csv":
                data["detail"] = json.dumps(data["detail"], ensure_ascii=False)
                yield _csv_row([data[c] for c in EXPORT_COLUMNS])
            else:
                yield json.dumps(data, ensure_ascii=False) + "\n"
        if len(rows) < batch:
            return
        last = rows[-1].seq or last


def _csv_row(values: Any) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if v is None else v for v in values])
    return buffer.getvalue()
