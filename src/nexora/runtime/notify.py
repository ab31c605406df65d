"""Signals between processes: PostgreSQL LISTEN/NOTIFY when there is one, in-process always.

Three signals: a run was queued (wake a worker), a run's events were stored (wake stream
subscribers in other processes), a run was cancelled (interrupt whoever executes it).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from nexora.storage.db import Database

log = logging.getLogger(__name__)

RUN_QUEUED = "nexora_run_queued"
EVENTS_STORED = "nexora_events_stored"
RUN_CANCELLED = "nexora_run_cancelled"
CHANNELS = (RUN_QUEUED, EVENTS_STORED, RUN_CANCELLED)

Handler = Callable[[str], None]


class Notifier:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._handlers: dict[str, list[Handler]] = {channel: [] for channel in CHANNELS}
        self._listener: AsyncConnection | None = None

    @property
    def crosses_processes(self) -> bool:
        return self._listener is not None

    def on(self, channel: str, handler: Handler) -> None:
        self._handlers[channel].append(handler)

    async def start(self) -> None:
        if self._db.is_sqlite:
            return  # one process by default; other processes fall back to polling
        self._listener = await self._db.engine.connect()
        raw = await self._listener.get_raw_connection()
        driver: Any = raw.driver_connection
        for channel in CHANNELS:
            await driver.add_listener(channel, self._on_notification)

    async def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    def _on_notification(self, _conn: object, pid: int, channel: str, payload: str) -> None:
        self._dispatch(channel, payload)

    def _dispatch(self, channel: str, payload: str) -> None:
        for handler in self._handlers[channel]:
            try:
                handler(payload)
            except Exception:
                log.exception("handler for %s failed", channel)

    async def notify(self, channel: str, payload: str) -> None:
        """Delivers in this process at once, and to every other process through the database."""
        if self._listener is None:
            self._dispatch(channel, payload)
            return
        # Our own listener receives the NOTIFY too, so local handlers run exactly once.
        async with self._db.engine.begin() as conn:
            await conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": payload})
