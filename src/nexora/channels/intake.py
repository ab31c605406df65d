"""Every inbound chat message's way: stored once, then answered once.

`accept` stores the message under the platform's id (a second delivery of the same id is
dropped there) before the platform is answered; processing happens after, in the background:
who the sender is, whether to answer, then a chat turn as that user — the same path, grants,
quotas, approvals and audit as the console. When the run ends its answer is queued in the
outbox in the same transaction that marks the message done, so it is neither lost nor doubled.
The reconciler finds whatever a stopped process left half-way and finishes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.acting import acting_as
from nexora.channels import identities
from nexora.channels.base import Inbound, Outbound
from nexora.channels.outbox import Outbox, enqueue
from nexora.errors import NexoraError, NotFound
from nexora.governance import tool_approvals
from nexora.governance.audit import AuditLog
from nexora.governance.capabilities import ApprovalStatus
from nexora.runtime.chat import ChatService, is_decision
from nexora.runtime.events import TERMINAL, RunStatus
from nexora.storage.base import new_id, utcnow
from nexora.storage.db import Database
from nexora.storage.models import Channel, ChannelInbox, ChannelSession, Run

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120
LAST_EVENT_EVERY = 5.0  # seconds between two writes of a channel's last event time
NOT_LINKED = (
    "You are not linked to a Nexora user yet. Create a pairing code in the Nexora console "
    "(Channels → Pair) and send it here as: pair <code>"
)
ATTACHED = "Still working on your previous message; I will answer it first."


class Intake:
    def __init__(self, db: Database, chat: ChatService, outbox: Outbox, audit: AuditLog) -> None:
        self.db = db
        self.chat = chat
        self.outbox = outbox
        self.audit = audit
        self._tasks: set[asyncio.Task[None]] = set()
        self._event_noted: dict[str, float] = {}
        # Waits for what must be done before a finished run's answer is queued (a stream).
        self.before_settling: Callable[[str], Awaitable[None]] | None = None

    async def accept(self, channel: Channel, messages: Sequence[Inbound]) -> int:
        """Stores new messages (duplicates dropped) and starts processing them; returns how
        many were new. Called before the platform is answered."""
        fresh: list[str] = []
        now = utcnow()
        async with self.db.session() as db:
            for message in messages:
                row_id = new_id()
                values: dict[str, Any] = {
                    "id": row_id,
                    "org_id": channel.org_id,
                    "channel_id": channel.id,
                    "external_id": message.message_id[:255],
                    "sender_id": message.sender_id[:255],
                    "conversation_id": message.conversation_id[:255],
                    "thread_id": message.thread_id[:255] if message.thread_id else None,
                    "text": message.text,
                    "details": {
                        "sender_name": message.sender_name,
                        "is_group": message.is_group,
                        "mentioned": message.mentioned,
                        "reply_context": dict(message.reply_context),
                    },
                    "status": "received",
                    "created_at": now,
                    "updated_at": now,
                }
                dialect = sqlite if self.db.is_sqlite else postgresql
                stored = await db.execute(
                    dialect.insert(ChannelInbox)
                    .values(**values)
                    .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
                )
                if getattr(stored, "rowcount", 0) == 1:
                    fresh.append(row_id)
            if time.monotonic() - self._event_noted.get(channel.id, -LAST_EVENT_EVERY) >= (
                LAST_EVENT_EVERY
            ):
                # Health's "last event" is kept to the nearest few seconds: one more write per
                # message would queue behind every other writer of a busy SQLite database.
                self._event_noted[channel.id] = time.monotonic()
                await db.execute(
                    update(Channel).where(Channel.id == channel.id).values(last_event_at=now)
                )
            await db.commit()
        for row_id in fresh:
            self._spawn(self.process(row_id))
        return len(fresh)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def process(self, inbox_id: str) -> None:
        """Claims the message and starts its turn; safe to call for any message at any time."""
        if not await self._claim(inbox_id):
            return
        try:
            async with self.db.session() as db:
                await self._process(db, inbox_id)
        except Exception:
            log.exception("channel message %s could not be processed", inbox_id)
            async with self.db.session() as db:
                await self._finish(db, inbox_id, "failed", "Sorry, something went wrong.")

    async def _claim(self, inbox_id: str) -> bool:
        now = utcnow()
        async with self.db.session() as db:
            claimed = await db.execute(
                update(ChannelInbox)
                .where(
                    ChannelInbox.id == inbox_id,
                    or_(
                        ChannelInbox.status == "received",
                        and_(ChannelInbox.status == "starting", ChannelInbox.claimed_until < now),
                    ),
                )
                .values(status="starting", claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            )
            await db.commit()
        return bool(getattr(claimed, "rowcount", 0) == 1)

    async def _process(self, db: AsyncSession, inbox_id: str) -> None:
        message = await db.get(ChannelInbox, inbox_id)
        if message is None:
            return
        channel = await db.get(Channel, message.channel_id)
        if channel is None or not channel.enabled:
            await self._finish(db, inbox_id, "ignored:disabled")
            return
        pairing = identities.PAIRING_COMMAND.match(message.text)
        if pairing is not None:
            linked = await identities.redeem(db, channel, message.sender_id, pairing[1])
            self._audit(channel, "channel.identity.pair", message, linked is not None)
            text = (
                "Linked: you now use Nexora here as yourself."
                if linked is not None
                else "That pairing code is unknown, used or expired."
            )
            await self._finish(db, inbox_id, "paired" if linked else "pairing_refused", text)
            return
        if (
            message.details.get("is_group")
            and channel.require_mention
            and not (message.details.get("mentioned"))
        ):
            await self._finish(db, inbox_id, "ignored:not_mentioned")
            return
        user_id = await identities.user_for(db, channel, message.sender_id)
        if user_id is None:
            self._audit(channel, "channel.unmapped_user", message, False)
            await self._finish(db, inbox_id, "refused:unmapped", NOT_LINKED)
            return
        try:
            actor = await acting_as(db, channel.org_id, user_id, via="channel")
            turn = await self._send(db, channel, message, actor)
        except NexoraError as refused:
            await db.rollback()
            await db.refresh(channel)
            await db.refresh(message)
            self._audit(channel, "channel.refused", message, False, user_id, refused.detail)
            await self._finish(db, inbox_id, "refused", refused.detail)
            return
        if turn is None:
            return
        run, attached = turn
        if attached and is_decision(message.text):
            # A /confirm or /deny: the run's own message is answered when it ends.
            await self._finish(db, inbox_id, "decided")
            return
        if attached:
            await self._finish(db, inbox_id, "attached", ATTACHED)
            return
        await db.execute(
            update(ChannelInbox)
            .where(ChannelInbox.id == inbox_id)
            .values(status="running", run_id=run.id, user_id=user_id, claimed_until=None)
        )
        await db.commit()

    async def _send(
        self, db: AsyncSession, channel: Channel, message: ChannelInbox, actor: Any
    ) -> tuple[Run, bool] | None:
        peer = message.conversation_id + (f"#{message.thread_id}" if message.thread_id else "")
        known = await db.scalar(
            select(ChannelSession.session_id).where(
                ChannelSession.channel_id == channel.id,
                ChannelSession.peer == peer[:600],
                ChannelSession.user_id == actor.user_id,
            )
        )
        turn = await self.chat.send(
            db,
            actor,
            channel.agent_id if known is None else None,
            known,
            message.text,
            channel=channel.type,
        )
        if known is None:
            db.add(
                ChannelSession(
                    org_id=channel.org_id,
                    channel_id=channel.id,
                    peer=peer[:600],
                    user_id=actor.user_id,
                    session_id=turn.session.id,
                    conversation_id=message.conversation_id,
                    thread_id=message.thread_id,
                )
            )
            try:
                await db.commit()
            except IntegrityError:  # a concurrent first message mapped the conversation
                await db.rollback()
        return turn.run, turn.attached

    async def _finish(
        self, db: AsyncSession, inbox_id: str, outcome: str, reply: str | None = None
    ) -> None:
        """Marks the message done and queues `reply` to it, in one transaction."""
        message = await db.get(ChannelInbox, inbox_id)
        if message is None:
            return
        if reply is not None:
            channel_id, answer = await _addressed(db, message, reply)
            draft = message.details.get("draft_id")
            try:
                await enqueue(db, channel_id, answer, key=f"in:{message.id}", edit_of=draft)
            except NotFound:  # it forwards to a channel deleted since
                log.warning("channel message %s: nowhere to answer", message.id)
                reply = None
        message.status = "ignored" if outcome.startswith("ignored") else "done"
        message.outcome = outcome[:40]
        message.claimed_until = None
        await db.commit()
        if reply is not None:
            self.outbox.wake()

    async def on_run_finished(self, run_id: str, _status: RunStatus) -> None:
        """The worker's observer: answers at once the messages this run was started for."""
        async with self.db.session() as db:
            ids = list(
                await db.scalars(
                    select(ChannelInbox.id).where(
                        ChannelInbox.run_id == run_id, ChannelInbox.status == "running"
                    )
                )
            )
        for inbox_id in ids:
            await self.settle(inbox_id)

    async def settle(self, inbox_id: str) -> bool:
        """Queues the answer of a message whose run has ended; True when it did."""
        async with self.db.session() as db:
            message = await db.get(ChannelInbox, inbox_id)
            if message is None or message.status != "running" or message.run_id is None:
                return False
            run = await db.get(Run, message.run_id)
            if run is None:
                await self._finish(db, inbox_id, "run_gone", "Sorry, that request was lost.")
                return True
            if run.status == RunStatus.WAITING_APPROVAL:
                await self._ask_for_approval(db, message, run)
                return False
            if run.status not in TERMINAL:
                return False
            run_id = run.id
        if self.before_settling is not None:
            await self.before_settling(run_id)
        async with self.db.session() as db:
            run = await db.get(Run, run_id)
            assert run is not None
            claimed = await db.execute(
                update(ChannelInbox)
                .where(ChannelInbox.id == inbox_id, ChannelInbox.status == "running")
                .values(status="settling")
            )
            if getattr(claimed, "rowcount", 0) != 1:
                await db.rollback()
                return False
            await self._finish(db, inbox_id, f"run_{run.status}", _run_answer(run))
            return True

    async def _ask_for_approval(self, db: AsyncSession, message: ChannelInbox, run: Run) -> None:
        """Tells the sender what waits for a decision, once per call, and how to decide."""
        pending = await tool_approvals.for_run(db, run.org_id, run.id, ApprovalStatus.PENDING)
        queued = False
        for approval in pending:
            tool = approval.payload.get("tool", "a tool")
            text = (
                f"Waiting for approval to use {tool}. Reply /confirm to allow it or "
                "/deny <reason> to refuse."
            )
            channel_id, answer = await _addressed(db, message, text)
            queued |= await enqueue(db, channel_id, answer, key=f"approval:{approval.id}")
        if queued:
            await db.commit()
            self.outbox.wake()

    async def reconcile(self) -> int:
        """Finishes what stopped processes left: messages never started, starts whose claim
        expired, and runs that ended or wait without their answer queued."""
        now = utcnow()
        async with self.db.session() as db:
            unstarted = list(
                await db.scalars(
                    select(ChannelInbox.id)
                    .where(
                        or_(
                            and_(
                                ChannelInbox.status == "received",
                                ChannelInbox.created_at < now - timedelta(seconds=5),
                            ),
                            and_(
                                ChannelInbox.status == "starting",
                                ChannelInbox.claimed_until < now,
                            ),
                        )
                    )
                    .limit(100)
                )
            )
            waiting = list(
                await db.scalars(
                    select(ChannelInbox.id)
                    .join(Run, Run.id == ChannelInbox.run_id)
                    .where(
                        ChannelInbox.status == "running",
                        Run.status.in_(
                            [s.value for s in TERMINAL] + [RunStatus.WAITING_APPROVAL.value]
                        ),
                    )
                    .limit(100)
                )
            )
        for inbox_id in unstarted:
            await self.process(inbox_id)
        settled = 0
        for inbox_id in waiting:
            settled += await self.settle(inbox_id)
        return len(unstarted) + settled

    def _audit(
        self,
        channel: Channel,
        action: str,
        message: ChannelInbox,
        success: bool,
        user_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        detail: dict[str, Any] = {
            "platform": channel.type,
            "external_user": message.sender_id,
            "message_id": message.external_id,
        }
        if reason:
            detail["reason"] = reason[:300]
        self.audit.record(
            action,
            actor=None,
            org_id=channel.org_id,
            actor_id=user_id,
            resource_type="channel",
            resource_id=channel.id,
            status="success" if success else "failure",
            detail=detail,
        )


async def _addressed(db: AsyncSession, message: ChannelInbox, text: str) -> tuple[str, Outbound]:
    """Where an answer goes: back where the message came from, or where its channel forwards
    answers (`deliver`: an alert source's answers go to the people's channel)."""
    channel = await db.get(Channel, message.channel_id)
    forward = channel.config.get("deliver") if channel is not None else None
    if isinstance(forward, dict) and forward.get("channel_id"):
        return str(forward["channel_id"]), Outbound(conversation_id=str(forward["to"]), text=text)
    return message.channel_id, Outbound(
        conversation_id=message.conversation_id,
        text=text,
        thread_id=message.thread_id,
        reply_to=message.external_id,
        reply_context=dict(message.details.get("reply_context") or {}),
    )


def _run_answer(run: Run) -> str:
    if run.status == RunStatus.COMPLETED:
        return run.output or "(no answer)"
    if run.status == RunStatus.CANCELLED:
        return "The request was cancelled."
    return f"Sorry, that failed: {(run.error or 'unknown error')[:500]}"
