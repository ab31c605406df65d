"""Long connections (websocket, stream, long polling, IMAP): one task per channel, in one
process at a time, reconnecting with backoff; each channel on its own, so one failing or
restarted touches no other.

Which process holds a channel is decided in the database: a lease the holder renews. A process
that stops holding it (crash, shutdown) lets it expire, and another takes the channel over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from nexora.channels.adapters import Adapters
from nexora.channels.base import AnyAdapter, Inbound
from nexora.channels.intake import Intake
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import Channel

log = logging.getLogger(__name__)

LEASE_SECONDS = 30


@dataclass
class _Held:
    task: asyncio.Task[None]
    adapter: AnyAdapter  # a new one after every change, restart or credential rotation


class Connections:
    def __init__(
        self,
        db: Database,
        adapters: Adapters,
        intake: Intake,
        owner: str,
        *,
        interval: float = 3.0,
        max_backoff: float = 30.0,
    ) -> None:
        self.db = db
        self.adapters = adapters
        self.intake = intake
        self.owner = owner
        self.interval = interval
        self.max_backoff = max_backoff
        self._held: dict[str, _Held] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._writes: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.get_running_loop().create_task(
                self._loop(), name="channel-connections"
            )

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        for channel_id in list(self._held):
            await self._drop(channel_id)
        async with self.db.session() as db:
            await db.execute(
                update(Channel)
                .where(Channel.lease_owner == self.owner)
                .values(lease_owner=None, lease_until=None, connected=False)
            )
            await db.commit()

    def wake(self) -> None:
        self._wake.set()

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self._held)

    async def _loop(self) -> None:
        while True:
            try:
                await self.sync()
            except Exception:
                log.exception("checking channel connections failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    async def sync(self) -> None:
        """Starts, restarts or stops this process's connections to match the channels."""
        async with self.db.session() as db:
            channels = list(await db.scalars(select(Channel).where(Channel.enabled.is_(True))))
            wanted: dict[str, tuple[Channel, AnyAdapter]] = {}
            for channel in channels:
                try:
                    adapter = await self.adapters.for_channel(db, channel)
                except Exception as error:
                    await self._note(channel.id, connected=False, error=f"config: {error}")
                    continue
                if adapter.uses_connection:
                    wanted[channel.id] = (channel, adapter)
        for channel_id in set(self._held) - set(wanted):
            await self._drop(channel_id)
            await self._release(channel_id)
        for channel_id, (channel, adapter) in wanted.items():
            if not await self._lease(channel_id):
                await self._drop(channel_id)  # another process holds it now
                continue
            held = self._held.get(channel_id)
            if held is not None and held.adapter is adapter and not held.task.done():
                continue
            await self._drop(channel_id)
            task = asyncio.get_running_loop().create_task(
                self._hold(channel, adapter), name=f"channel-{channel_id}"
            )
            self._held[channel_id] = _Held(task, adapter)

    async def _lease(self, channel_id: str) -> bool:
        now = utcnow()
        async with self.db.session() as db:
            taken = await db.execute(
                update(Channel)
                .where(
                    Channel.id == channel_id,
                    or_(
                        Channel.lease_owner.is_(None),
                        Channel.lease_owner == self.owner,
                        Channel.lease_until < now,
                    ),
                )
                .values(lease_owner=self.owner, lease_until=now + timedelta(seconds=LEASE_SECONDS))
            )
            await db.commit()
        return bool(getattr(taken, "rowcount", 0) == 1)

    async def _release(self, channel_id: str) -> None:
        async with self.db.session() as db:
            await db.execute(
                update(Channel)
                .where(Channel.id == channel_id, Channel.lease_owner == self.owner)
                .values(lease_owner=None, lease_until=None, connected=False)
            )
            await db.commit()

    async def _drop(self, channel_id: str) -> None:
        held = self._held.pop(channel_id, None)
        if held is not None:
            held.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await held.task

    async def _hold(self, channel: Channel, adapter: AnyAdapter) -> None:
        """Keeps one channel connected: reconnects after every drop, backing off while it
        keeps failing, and says how it goes in the channel's health."""
        backoff = 1.0
        while True:
            up = False

            def connected() -> None:
                nonlocal up
                up = True
                self._write(self._note(channel.id, connected=True, error=None))

            async def sink(message: Inbound) -> None:
                await self.intake.accept(channel, [message])

            try:
                await adapter.listen(sink, connected)
                problem = "the connection closed"
            except asyncio.CancelledError:
                raise
            except Exception as error:
                problem = f"{type(error).__name__}: {error}"[:1000]
            log.info("channel %s (%s): %s; reconnecting", channel.name, channel.type, problem)
            await self._note(channel.id, connected=False, error=problem)
            if up:
                backoff = 1.0
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _write(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _note(self, channel_id: str, *, connected: bool, error: str | None) -> None:
        values: dict[str, object] = {"connected": connected}
        if error is not None:
            values.update(last_error=error, last_error_at=utcnow())
        async with self.db.session() as db:
            await db.execute(update(Channel).where(Channel.id == channel_id).values(values))
            await db.commit()
