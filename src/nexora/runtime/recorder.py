"""Emits a run's events: to live subscribers at once, to the database in coalesced batches.

Committing every token costs tens of milliseconds; instead events go out through the bus as
they happen and are written together every few tens of milliseconds, at each checkpoint and
at the end. A resumed run numbers its events after a gap larger than what can be unwritten
at a crash, so a sequence number a client saw is never reused for a different event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.runtime.bus import EventBus
from nexora.runtime.events import Event
from nexora.runtime.notify import EVENTS_STORED, Notifier
from nexora.runtime.queue import Lease, RunQueue
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import RunEvent

# Live subscribers in this process get events from the bus at once; storage is for
# durability and for subscribers elsewhere, who hear of it through LISTEN/NOTIFY.
FLUSH_INTERVAL_SECONDS = 0.05
FLUSH_INTERVAL_LOCAL_SECONDS = 0.25
MAX_UNWRITTEN = 512
RESUME_SEQ_GAP = 1_000


async def next_seq(session: AsyncSession, run_id: str, resumed: bool) -> int:
    last = await session.scalar(select(func.max(RunEvent.seq)).where(RunEvent.run_id == run_id))
    if last is None:
        return 1
    return int(last) + (RESUME_SEQ_GAP if resumed else 1)


class EventRecorder:
    def __init__(
        self, queue: RunQueue, bus: EventBus, notifier: Notifier, lease: Lease, first_seq: int
    ) -> None:
        self._queue = queue
        self._bus = bus
        self._notifier = notifier
        self._lease = lease
        self._next = first_seq
        self._unwritten = bus.track(lease.run_id)
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._flusher = asyncio.get_running_loop().create_task(self._flush_periodically())

    @property
    def db(self) -> Database:
        return self._queue.db

    async def emit(self, type_: str, payload: dict[str, Any] | None = None) -> Event:
        event = Event(self._lease.run_id, self._next, type_, utcnow(), payload or {})
        self._next += 1
        self._unwritten.append(event)
        self._bus.publish(event)
        if len(self._unwritten) >= MAX_UNWRITTEN:
            await self.flush()  # back-pressure keeps the unwritten tail bounded
        else:
            self._wake.set()
        return event

    async def finish(
        self,
        type_: str,
        payload: dict[str, Any],
        also: Callable[[AsyncSession], Awaitable[None]],
    ) -> Event:
        """Emits the run's terminal event only once it is stored with the run's final state:
        whoever sees it can read the finished run."""
        event = Event(self._lease.run_id, self._next, type_, utcnow(), payload)
        self._next += 1

        async def store(session: AsyncSession) -> None:
            await also(session)
            await session.execute(insert(RunEvent), [_row(event)])

        await self.flush(also=store)
        self._bus.publish(event)
        return event

    async def flush(self, also: Callable[[AsyncSession], Awaitable[None]] | None = None) -> None:
        """Writes pending events (and `also`, in the same fenced transaction)."""
        async with self._lock:
            batch = list(self._unwritten)
            if not batch and also is None:
                return
            async with self._queue.db.session() as session:
                await self._queue.fence(session, self._lease)
                if batch:
                    await session.execute(insert(RunEvent), [_row(e) for e in batch])
                if also is not None:
                    await also(session)
                await session.commit()
            del self._unwritten[: len(batch)]
        if batch:
            await self._notifier.notify(EVENTS_STORED, self._lease.run_id)

    async def _flush_periodically(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(
                FLUSH_INTERVAL_SECONDS
                if self._notifier.crosses_processes
                else FLUSH_INTERVAL_LOCAL_SECONDS
            )
            with contextlib.suppress(Exception):
                await self.flush()

    async def close(self) -> None:
        self._flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._flusher
        self._bus.untrack(self._lease.run_id)


def _row(event: Event) -> dict[str, Any]:
    return {
        "run_id": event.run_id,
        "seq": event.seq,
        "type": event.type,
        "created_at": event.created_at,
        "payload": event.payload,
    }
