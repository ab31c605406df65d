"""The channel subsystem of one process: configuration, the webhook entry, the intake, the
outbox and the connections, started and stopped with the platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.registry import AgentRegistry
from nexora.auth.actor import Actor
from nexora.channels.adapters import Adapters
from nexora.channels.base import BadSignature, WebhookRequest, WebhookResult
from nexora.channels.connections import Connections
from nexora.channels.intake import Intake
from nexora.channels.outbox import Outbox
from nexora.channels.store import ChannelStore
from nexora.channels.streaming import Streamer
from nexora.config import Settings
from nexora.errors import NotFound, Unauthorized
from nexora.governance.audit import AuditLog, RequestContext
from nexora.governance.secret_store import SecretStore
from nexora.periodic import Periodic
from nexora.plugins.host import PluginHost
from nexora.runtime.bus import EventBus
from nexora.runtime.chat import ChatService
from nexora.storage.db import Database
from nexora.storage.models import Channel


@dataclass(frozen=True, slots=True)
class Health:
    connected: bool | None  # None: the channel holds no connection (webhook only)
    last_event_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    backlog: dict[str, int]
    held_by: str | None


class Channels:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        agents: AgentRegistry,
        secret_store: SecretStore,
        chat: ChatService,
        audit: AuditLog,
        bus: EventBus,
        plugins: PluginHost,
        owner: str,
    ) -> None:
        self.db = db
        self.audit = audit
        self.adapters = Adapters(secret_store)
        self.store = ChannelStore(
            agents, secret_store, plugins, frozenset(settings.web_allowed_hosts)
        )
        self.outbox = Outbox(db, self.adapters, audit, interval=settings.channel_outbox_seconds)
        self.intake = Intake(db, chat, self.outbox, audit)
        self.connections = Connections(
            db,
            self.adapters,
            self.intake,
            owner,
            interval=settings.channel_connections_seconds,
            max_backoff=settings.channel_reconnect_max_seconds,
        )
        self.streamer = Streamer(db, bus, self.adapters, settings.channel_stream_edit_seconds)
        self.intake.before_settling = self.streamer.finished
        self.reconciler = Periodic(
            "channel-reconcile", settings.channel_reconcile_seconds, self.intake.reconcile
        )

    def start(self) -> None:
        self.outbox.start()
        self.connections.start()
        self.reconciler.start()

    async def stop(self) -> None:
        await self.reconciler.stop()
        await self.connections.stop()
        await self.intake.stop()
        await self.streamer.stop()
        await self.outbox.stop()
        await self.adapters.aclose()

    async def webhook(
        self, channel_id: str, request: WebhookRequest, context: RequestContext
    ) -> WebhookResult:
        """One request from a platform: verified, its messages stored, then answered."""
        async with self.db.session() as db:
            channel = await db.get(Channel, channel_id)
            if channel is None or not channel.enabled:
                raise NotFound("channel not found")
            adapter = await self.adapters.for_channel(db, channel)
        try:
            result = await adapter.handle_webhook(request)
        except BadSignature as refused:
            self.audit.record(
                "channel.signature_rejected",
                actor=None,
                org_id=channel.org_id,
                resource_type="channel",
                resource_id=channel.id,
                status="failure",
                request=context,
                detail={"platform": channel.type, "reason": str(refused)[:300]},
            )
            raise Unauthorized("the request's signature or token is not valid") from None
        if result.messages:
            await self.intake.accept(channel, result.messages)
        return result

    async def restart(self, db: AsyncSession, actor: Actor, channel_id: str) -> Channel:
        """Rebuilds this channel's adapter and connection, wherever it is held; no other."""
        channel = await self.store.get(db, actor, channel_id)
        await db.execute(
            update(Channel)
            .where(Channel.id == channel.id)
            .values(generation=Channel.generation + 1, last_error=None, last_error_at=None)
        )
        await db.commit()
        await db.refresh(channel)
        await self.adapters.forget(channel.id)
        self.connections.wake()
        return channel

    async def health(self, db: AsyncSession, actor: Actor, channel_id: str) -> Health:
        channel = await self.store.get(db, actor, channel_id)
        adapter = await self.adapters.for_channel(db, channel)
        return Health(
            connected=channel.connected if adapter.uses_connection else None,
            last_event_at=channel.last_event_at,
            last_error=channel.last_error,
            last_error_at=channel.last_error_at,
            backlog=await self.store.backlog(db, channel.id),
            held_by=channel.lease_owner if adapter.uses_connection else None,
        )
