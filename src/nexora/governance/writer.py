"""Fire-and-forget persistence for audit events and token usage.

Callers enqueue and return at once; one background task writes batches. A full queue or a
failing database drops records and counts them instead of blocking or failing the caller:
an audit or usage write must never fail a chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class WriterStats:
    written: int = 0
    dropped: int = 0
    failed: int = 0


class BackgroundWriter(Generic[T]):
    def __init__(
        self,
        name: str,
        write_batch: Callable[[list[T]], Awaitable[None]],
        max_queue: int = 10_000,
        max_batch: int = 500,
        linger_seconds: float = 0.0,
    ) -> None:
        self.name = name
        self._write_batch = write_batch
        self._queue: asyncio.Queue[T] = asyncio.Queue(max_queue)
        self._max_batch = max_batch
        self._linger = linger_seconds
        self._task: asyncio.Task[None] | None = None
        self.stats = WriterStats()

    def submit(self, item: T) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.stats.dropped += 1
            if self.stats.dropped in (1, 100) or self.stats.dropped % 10_000 == 0:
                log.warning(
                    "%s writer queue full: %d records dropped", self.name, self.stats.dropped
                )

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def flush(self) -> None:
        """Waits until everything submitted so far has been written (or dropped)."""
        await self._queue.join()

    async def stop(self) -> None:
        if self._task is None:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.flush(), timeout=5)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            if self._linger:
                await asyncio.sleep(self._linger)
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write_batch(batch)
                self.stats.written += len(batch)
            except Exception:
                self.stats.failed += len(batch)
                log.exception("%s writer: %d records lost", self.name, len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()
