"""The durable outbox: replies are stored before they are sent, then delivered in order per
conversation with retries and backoff, by whichever process claims them first.

A reply computed before a crash is still in the table after it and is sent then. Each row is
claimed with a conditional update, so two processes never send it both; a process that dies
while sending leaves its claim to expire, after which the row is sent again — the one window
where a platform may see a message twice, which is why adapters pass the row's id where the
platform takes an idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.channels.adapters import Adapters, adapter_class
from nexora.channels.base import DeliveryFailed, Outbound, RateLimited
from nexora.channels.text import split_text
from nexora.errors import NotFound
from nexora.governance.audit import AuditLog
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import Channel, ChannelOutbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
MAX_BACKOFF_SECONDS = 300.0
CLAIM_SECONDS = 90
SEND_TIMEOUT_SECONDS = 30.0
ROUND_LIMIT = 200


async def enqueue(
    db: AsyncSession,
    channel_id: str,
    message: Outbound,
    *,
    key: str,
    edit_of: str | None = None,
) -> bool:
    """Queues `message` to the channel, split by its platform's limit, in the caller's
    transaction (the caller commits). The same `key` never queues twice: False then.

    With `edit_of`, the first part replaces that message (a streamed draft) instead."""
    channel = await db.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"channel {channel_id!r} not found")
    if await db.scalar(select(ChannelOutbox.id).where(ChannelOutbox.key == f"{key}#0")):
        return False
    now = utcnow()
    parts = split_text(message.text, adapter_class(channel.type).max_chars)
    for index, text in enumerate(parts):
        db.add(
            ChannelOutbox(
                org_id=channel.org_id,
                channel_id=channel.id,
                key=f"{key}#{index}",
                part=index,
                conversation_id=message.conversation_id,
                thread_id=message.thread_id,
                reply_to=message.reply_to,
                reply_context=dict(message.reply_context),
                text=text,
                edit_of=edit_of if index == 0 else None,
                next_attempt_at=now,
            )
        )
    await db.flush()
    return True


class Outbox:
    """Delivers due rows: woken when something is queued here, and every `interval` seconds
    for what other processes queued or what waits for a retry."""

    def __init__(
        self, db: Database, adapters: Adapters, audit: AuditLog, interval: float = 1.0
    ) -> None:
        self.db = db
        self.adapters = adapters
        self.audit = audit
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_sent: dict[tuple[str, str], float] = {}

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:
                log.exception("delivering channel replies failed; retrying next round")

    async def deliver_due(self) -> int:
        """One round: every conversation's queue from its head, channels side by side."""
        async with self.db.session() as db:
            rows = list(
                await db.scalars(
                    select(ChannelOutbox)
                    .where(ChannelOutbox.status.in_(("pending", "sending")))
                    .order_by(ChannelOutbox.created_at, ChannelOutbox.key)
                    .limit(ROUND_LIMIT)
                )
            )
        queues: defaultdict[str, defaultdict[str, list[ChannelOutbox]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for row in rows:
            queues[row.channel_id][row.conversation_id].append(row)
        sent = await asyncio.gather(
            *(self._deliver_channel(channel_id, q) for channel_id, q in queues.items())
        )
        return sum(sent)

    async def _deliver_channel(
        self, channel_id: str, conversations: dict[str, list[ChannelOutbox]]
    ) -> int:
        sent = 0
        for queue in conversations.values():
            for row in queue:
                if not await self._deliver(row):
                    break  # later messages of this conversation wait behind it
                sent += 1
        return sent

    async def _deliver(self, row: ChannelOutbox) -> bool:
        if not await self._claim(row.id):
            return False
        async with self.db.session() as db:
            channel = await db.get(Channel, row.channel_id)
            if channel is None:
                return False
            try:
                adapter = await self.adapters.for_channel(db, channel)
            except Exception as error:
                await self._failed_attempt(row, f"channel config: {error}", row.attempts + 1)
                return False
        pace = (row.channel_id, row.conversation_id)
        wait = self._last_sent.get(pace, 0.0) + adapter.min_interval_seconds - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        message = Outbound(
            conversation_id=row.conversation_id,
            text=row.text,
            thread_id=row.thread_id,
            reply_to=row.reply_to,
            reply_context=row.reply_context,
            delivery_id=row.id,
        )
        try:
            if row.edit_of is not None:
                await asyncio.wait_for(adapter.edit(message, row.edit_of), SEND_TIMEOUT_SECONDS)
                external_id: str | None = row.edit_of
            else:
                external_id = await asyncio.wait_for(adapter.send(message), SEND_TIMEOUT_SECONDS)
        except RateLimited as limited:
            await self._retry_at(row.id, limited.retry_after, str(limited), counted=False)
            return False
        except DeliveryFailed as refused:
            await self._give_up(row, str(refused))
            return False
        except Exception as error:
            await self._failed_attempt(row, f"{type(error).__name__}: {error}", row.attempts + 1)
            return False
        self._last_sent[pace] = time.monotonic()
        async with self.db.session() as db:
            await db.execute(
                update(ChannelOutbox)
                .where(ChannelOutbox.id == row.id)
                .values(
                    status="sent",
                    sent_at=utcnow(),
                    external_id=(external_id or None) and str(external_id)[:255],
                    claimed_until=None,
                    error=None,
                )
            )
            await db.commit()
        return True

    async def _claim(self, row_id: str) -> bool:
        now = utcnow()
        async with self.db.session() as db:
            claimed = await db.execute(
                update(ChannelOutbox)
                .where(
                    ChannelOutbox.id == row_id,
                    or_(
                        and_(
                            ChannelOutbox.status == "pending",
                            ChannelOutbox.next_attempt_at <= now,
                        ),
                        and_(
                            ChannelOutbox.status == "sending",
                            ChannelOutbox.claimed_until < now,
                        ),
                    ),
                )
                .values(
                    status="sending",
                    claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                    attempts=ChannelOutbox.attempts + 1,
                )
            )
            await db.commit()
        return bool(getattr(claimed, "rowcount", 0) == 1)

    async def _failed_attempt(self, row: ChannelOutbox, error: str, attempts: int) -> None:
        if attempts >= MAX_ATTEMPTS:
            await self._give_up(row, error)
            return
        await self._retry_at(row.id, min(2.0**attempts, MAX_BACKOFF_SECONDS), error, counted=True)

    async def _retry_at(self, row_id: str, seconds: float, error: str, *, counted: bool) -> None:
        values: dict[str, object] = {
            "status": "pending",
            "next_attempt_at": utcnow() + timedelta(seconds=seconds),
            "claimed_until": None,
            "error": error[:2000],
        }
        if not counted:
            values["attempts"] = ChannelOutbox.attempts - 1
        async with self.db.session() as db:
            await db.execute(update(ChannelOutbox).where(ChannelOutbox.id == row_id).values(values))
            await db.commit()

    async def _give_up(self, row: ChannelOutbox, error: str) -> None:
        async with self.db.session() as db:
            await db.execute(
                update(ChannelOutbox)
                .where(ChannelOutbox.id == row.id)
                .values(status="failed", claimed_until=None, error=error[:2000])
            )
            await db.commit()
        log.warning("channel %s: reply %s not delivered: %s", row.channel_id, row.id, error)
        self.audit.record(
            "channel.delivery_failed",
            actor=None,
            org_id=row.org_id,
            resource_type="channel",
            resource_id=row.channel_id,
            status="failure",
            detail={"outbox_id": row.id, "error": error[:500]},
        )
