"""Answers shown as they are written, on platforms that can edit a message: a draft is sent
with the first words and edited as more arrive (at most once per interval, within the
platform's rate limits); the finished answer then replaces the draft through the outbox.

Streaming is a courtesy, never the delivery: if a draft or an edit fails, or the process
stops mid-answer, the outbox still delivers the whole answer once — as the draft's final
edit when a draft exists, else as a message.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import select, update

from nexora.channels.adapters import Adapters
from nexora.channels.base import AnyAdapter, Outbound
from nexora.runtime.bus import EventBus, Subscription
from nexora.runtime.events import TERMINAL_EVENTS, EventType
from nexora.storage.db import Database
from nexora.storage.models import Channel, ChannelInbox

log = logging.getLogger(__name__)

DRAFT_MARK = " …"


class Streamer:
    def __init__(
        self, db: Database, bus: EventBus, adapters: Adapters, interval: float = 1.0
    ) -> None:
        self.db = db
        self.bus = bus
        self.adapters = adapters
        self.interval = interval
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_run_started(self, run_id: str) -> None:
        """The worker's starter: follows the run when it answers a message on a channel whose
        platform edits messages."""
        async with self.db.session() as db:
            message = await db.scalar(
                select(ChannelInbox).where(
                    ChannelInbox.run_id == run_id, ChannelInbox.status == "running"
                )
            )
            if message is None:
                return
            channel = await db.get(Channel, message.channel_id)
            if channel is None or channel.config.get("deliver"):
                return
            adapter = await self.adapters.for_channel(db, channel)
        if not adapter.streams or message.details.get("draft_id"):
            return  # a resumed run keeps its draft as it was; the answer replaces it
        subscription = self.bus.subscribe(run_id)  # before the run's first event
        task = asyncio.get_running_loop().create_task(
            self._follow(message, adapter, subscription), name=f"stream-{run_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _follow(
        self, message: ChannelInbox, adapter: AnyAdapter, subscription: Subscription
    ) -> None:
        text = ""
        shown = ""
        draft_id: str | None = None
        last = 0.0
        target = Outbound(
            conversation_id=message.conversation_id,
            text="",
            thread_id=message.thread_id,
            reply_to=message.external_id,
            reply_context=dict(message.details.get("reply_context") or {}),
            delivery_id=f"draft-{message.id}",
        )
        limit = max(1, adapter.max_chars - len(DRAFT_MARK))
        try:
            with subscription:
                while True:
                    event = await subscription.queue.get()
                    if event is None or subscription.overflowed:
                        return
                    if event.type in TERMINAL_EVENTS:
                        return
                    if event.type == EventType.TOOL_CALLED:
                        text = ""  # words before a tool call are not the answer
                    elif event.type == EventType.LLM_TOKEN:
                        text += str(event.payload.get("delta", ""))
                    now = time.monotonic()
                    preview = text.strip()[:limit]
                    if not preview or preview == shown or now - last < self.interval:
                        continue
                    last = now
                    draft = _with_text(target, preview + DRAFT_MARK)
                    if draft_id is None:
                        draft_id = await adapter.send(draft)
                        if draft_id is None:
                            return  # nothing to edit later
                        if not await self._remember(message.id, draft_id):
                            return  # answered already: leave it be
                    else:
                        await adapter.edit(draft, draft_id)
                    shown = preview
        except asyncio.CancelledError:
            raise
        except Exception:
            log.info("streaming the answer to %s stopped", message.id, exc_info=True)

    async def _remember(self, inbox_id: str, draft_id: str) -> bool:
        """Records the draft on the message while it is still unanswered; False if it was
        answered meanwhile (then the answer went out as a message of its own)."""
        async with self.db.session() as db:
            message = await db.get(ChannelInbox, inbox_id)
            if message is None or message.status != "running":
                return False
            details = dict(message.details)
            details["draft_id"] = draft_id
            stored = await db.execute(
                update(ChannelInbox)
                .where(ChannelInbox.id == inbox_id, ChannelInbox.status == "running")
                .values(details=details)
            )
            await db.commit()
        return bool(getattr(stored, "rowcount", 0) == 1)


def _with_text(message: Outbound, text: str) -> Outbound:
    return Outbound(
        conversation_id=message.conversation_id,
        text=text,
        thread_id=message.thread_id,
        reply_to=message.reply_to,
        reply_context=message.reply_context,
        delivery_id=message.delivery_id,
    )
