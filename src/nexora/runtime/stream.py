"""Follows one run's events: stored ones first, then live ones, each exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import select

from nexora.runtime.bus import EventBus
from nexora.runtime.events import TERMINAL, Event, RunStatus
from nexora.runtime.service import stored_events
from nexora.storage.db import Database
from nexora.storage.models import Run

# How often a stream re-reads storage for a run not executing in this process. A process
# that runs the workers itself with no other process to hear from (the embedded default)
# only needs a slow safety net; otherwise (SQLite shared with worker processes, which cannot
# notify) storage is the only way to hear of new events.
REMOTE_POLL_SECONDS = 0.25


async def follow(
    db: Database, bus: EventBus, run_id: str, after: int, poll_seconds: float = REMOTE_POLL_SECONDS
) -> AsyncIterator[Event]:
    """Yields every event with seq > `after`, in order, until the run's terminal event."""
    last = after
    with bus.subscribe(run_id) as subscription:
        while True:
            # The unwritten tail is read before storage: an event written in between is in
            # one or the other, never in neither.
            tail = bus.unpersisted(run_id)
            async with db.session() as session:
                # Status before events: a run's terminal event is stored in the transaction
                # that ends it, so a status read first as terminal means every event is in.
                status = await session.scalar(select(Run.status).where(Run.id == run_id))
                stored = await stored_events(session, run_id, after=last, limit=1000)
            for caught_up in sorted({e.seq: e for e in [*stored, *tail]}.values(), key=_seq):
                if caught_up.seq <= last:
                    continue
                yield caught_up
                last = caught_up.seq
                if caught_up.is_terminal:
                    return
            if len(stored) == 1000:
                continue
            if (
                status is not None
                and RunStatus(status) in TERMINAL
                and not bus.executing_here(run_id)
            ):
                return
            stored_signal = bus.stored_signal(run_id)
            timeout = None if bus.executing_here(run_id) else poll_seconds
            while True:
                event = await _next_live(subscription.queue, stored_signal, timeout)
                if event is None:
                    break  # storage changed, a poll is due, or we fell behind: catch up
                if event.seq <= last:
                    continue
                yield event
                last = event.seq
                if event.is_terminal:
                    return
                timeout = None if bus.executing_here(run_id) else poll_seconds


def _seq(event: Event) -> int:
    return event.seq


async def _next_live(
    queue: asyncio.Queue[Event | None], stored: asyncio.Event, wait_seconds: float | None
) -> Event | None:
    """The next live event, or None when storage should be read again."""
    if not queue.empty():
        return queue.get_nowait()
    getter = asyncio.ensure_future(queue.get())
    waiter = asyncio.ensure_future(stored.wait())
    try:
        await asyncio.wait(
            {getter, waiter}, timeout=wait_seconds or 5.0, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for future in (getter, waiter):
            future.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await future
    # A getter that won the race with its cancellation holds an event: never drop it.
    if getter.done() and not getter.cancelled():
        return getter.result()
    return None
