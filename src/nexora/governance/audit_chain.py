"""The audit trail's hash chain: each event's hash covers its fields and its predecessor's hash.

Modifying, deleting, inserting or reordering events breaks the chain at that point, and the
chain head (the newest sequence number and hash, kept in its own row) exposes a truncated tail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.storage.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def _timestamp(value: datetime) -> str:
    # SQLite hands back naive UTC datetimes, PostgreSQL aware ones: hash one form.
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def event_content(event: AuditEvent) -> dict[str, Any]:
    """What an event records, as the hash covers it and as readers see it."""
    return {
        "id": event.id,
        "org_id": event.org_id,
        "actor_id": event.actor_id,
        "action": event.action,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "status": event.status,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "detail": event.detail,
    }


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    fields: dict[str, Any] = {
        **event_content(event),
        "seq": event.seq,
        "prev": prev_hash,
        "created_at": _timestamp(event.created_at),
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def append(session: AsyncSession, events: list[AuditEvent]) -> None:
    """Chains and adds `events` in the caller's transaction.

    Touching the head row first takes its lock (a row lock on PostgreSQL, the write lock on
    SQLite), so writers in several processes extend the chain one after another.
    """
    await session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_seq=AuditChainHead.last_seq)
    )
    head = await session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    if head is None:
        head = AuditChainHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
    seq, prev = head.last_seq, head.last_hash
    for event in events:
        seq += 1
        event.seq = seq
        event.prev_hash = prev
        event.hash = prev = event_hash(event, prev)
        session.add(event)
    head.last_seq, head.last_hash = seq, prev


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    checked: int
    problem: str | None = None
    seq: int | None = None


async def _chained(session: AsyncSession, batch: int = 1000) -> AsyncIterator[AuditEvent]:
    last = 0
    while True:
        rows = list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.seq.is_not(None), AuditEvent.seq > last)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        )
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].seq or last


async def verify(session: AsyncSession) -> Verification:
    expected_seq, prev, checked = 1, GENESIS_HASH, 0
    async for event in _chained(session):
        if event.seq != expected_seq:
            return Verification(False, checked, f"event {expected_seq} is missing", expected_seq)
        if event.prev_hash != prev:
            return Verification(False, checked, "link to the previous event is broken", event.seq)
        if event.hash != event_hash(event, prev):
            return Verification(False, checked, "event was modified", event.seq)
        prev, expected_seq, checked = event.hash or "", expected_seq + 1, checked + 1
    head = await session.get(AuditChainHead, HEAD_ID)
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return Verification(
            False,
            checked,
            f"events after {checked} were removed (head is at {head.last_seq})",
            checked + 1,
        )
    return Verification(True, checked)
