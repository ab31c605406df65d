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
from nexora.channels.base import AnyAdapter, Outbound, adapter_types
from nexora.runtime.bus import EventBus, Subscription
from nexora.runtime.events import TERMINAL_EVENTS, EventType
from nexora.storage.db import Database
from nexora.storage.models import Channel, ChannelInbox, ChatSession, Run

log = logging.getLogger(__name__)

DRAFT_MARK = " …"
FINISH_WAIT_SECONDS = 10.0
STOPS = TERMINAL_EVENTS | {EventType.TOOL_REQUIRES_APPROVAL}


class Streamer:
    def __init__(
        self, db: Database, bus: EventBus, adapters: Adapters, interval: float = 1.0
    ) -> None:
        self.db = db
        self.bus = bus
        self.adapters = adapters
        self.interval = interval
        self._following: dict[str, asyncio.Task[None]] = {}

    async def on_run_started(self, run_id: str) -> None:
        """The worker's starter: follows a run that answers a chat-app message. It subscribes
        now, before the run's first event; which message and whether its platform edits are
        looked up when there are words to show (the message is linked to its run just after
        the run is queued, possibly after it started)."""
        async with self.db.session() as db:
            platform = await db.scalar(
                select(ChatSession.channel)
                .join(Run, Run.session_id == ChatSession.id)
                .where(Run.id == run_id)
            )
        if platform not in adapter_types():
            return
        subscription = self.bus.subscribe(run_id)
        task = asyncio.get_running_loop().create_task(
            self._follow(run_id, subscription), name=f"stream-{run_id}"
        )
        self._following[run_id] = task
        task.add_done_callback(lambda _: self._following.pop(run_id, None))

    async def _answering(self, run_id: str) -> tuple[ChannelInbox, AnyAdapter] | None:
        async with self.db.session() as db:
            message = await db.scalar(
                select(ChannelInbox).where(
                    ChannelInbox.run_id == run_id, ChannelInbox.status == "running"
                )
            )
            if message is None:
                return None
            channel = await db.get(Channel, message.channel_id)
            if channel is None or channel.config.get("deliver"):
                return None
            return message, await self.adapters.for_channel(db, channel)

    async def finished(self, run_id: str, _status: object = None) -> None:
        """Waits until the run's stream is done, so that a draft being sent as the run ends
        is recorded before the answer is queued (and replaces it instead of following it)."""
        task = self._following.get(run_id)
        if task is not None:
            await asyncio.wait({task}, timeout=FINISH_WAIT_SECONDS)

    async def stop(self) -> None:
        tasks = list(self._following.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _follow(self, run_id: str, subscription: Subscription) -> None:
        text = shown = ""
        last = 0.0
        draft_id: str | None = None
        found: tuple[ChannelInbox, AnyAdapter] | None = None
        try:
            with subscription:
                while True:
                    event = await subscription.queue.get()
                    if event is None or subscription.overflowed or event.type in STOPS:
                        return  # ended, or parked for approval (a resumed run starts anew)
                    if event.type == EventType.TOOL_CALLED:
                        text = ""  # words before a tool call are not the answer
                    elif event.type == EventType.LLM_TOKEN:
                        text += str(event.payload.get("delta", ""))
                    now = time.monotonic()
                    if not text.strip() or now - last < self.interval:
                        continue
                    last = now
                    if found is None:
                        found = await self._answering(run_id)
                        if found is None:
                            continue  # not linked yet: next time
                        message, adapter = found
                        if not adapter.streams or message.details.get("draft_id"):
                            return  # a resumed run keeps its draft; the answer replaces it
                    message, adapter = found
                    preview = text.strip()[: max(1, adapter.max_chars - len(DRAFT_MARK))]
                    if preview == shown:
                        continue
                    draft = _draft(message, preview + DRAFT_MARK)
                    if draft_id is None:
                        draft_id = await adapter.send(draft)
                        if draft_id is None or not await self._remember(message.id, draft_id):
                            return  # nothing to edit, or answered already: leave it be
                    else:
                        await adapter.edit(draft, draft_id)
                    shown = preview
        except asyncio.CancelledError:
            raise
        except Exception:
            log.info("streaming the answer of run %s stopped", run_id, exc_info=True)

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


def _draft(message: ChannelInbox, text: str) -> Outbound:
    return Outbound(
        conversation_id=message.conversation_id,
        text=text,
        thread_id=message.thread_id,
        reply_to=message.external_id,
        reply_context=dict(message.details.get("reply_context") or {}),
        delivery_id=f"draft-{message.id}",
    )
