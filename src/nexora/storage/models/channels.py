"""Channels: agents reachable in chat apps, who their users are, and every message in and out.

The inbox and the outbox are the durable halves of the pipeline: an inbound message is stored
(deduplicated by the platform's id) before the platform is answered, and a reply is stored
before it is sent, so neither is lost by a restart nor handled twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, TimestampMixin


class Channel(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One agent's presence on one platform. Credentials are in the secret store: `secrets`
    maps each credential field to the name of the org secret holding it."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # What happens to a platform user mapped to no Nexora user: "refuse" or "guest".
    unmapped: Mapped[str] = mapped_column(String(16), default="refuse")
    guest_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # In group chats, answer only messages that mention the bot.
    require_mention: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # Bumped by a restart; the process holding the connection restarts it when it changes.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    # Which process holds the channel's connection, until when (connection transports only).
    lease_owner: Mapped[str | None] = mapped_column(String(120), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    last_event_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)


class ChannelIdentity(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A platform user known as a Nexora user: everything they do there is done as that user."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel_id", "external_id"),)

    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # "admin" (mapped by an admin) or "pairing" (the user sent a code from the console).
    via: Mapped[str] = mapped_column(String(16), default="admin")


class ChannelPairing(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A one-time code a user sends from the chat app to link it to their Nexora account."""

    __tablename__ = "channel_pairings"

    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class ChannelSession(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """Which chat session a conversation (and thread) of a platform user continues."""

    __tablename__ = "channel_sessions"
    __table_args__ = (UniqueConstraint("channel_id", "peer", "user_id"),)

    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    peer: Mapped[str] = mapped_column(String(600))  # conversation id, and thread id when any
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str | None] = mapped_column(String(255), default=None)


class ChannelInbox(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One inbound message: stored before the platform is answered, unique per platform id.

    status: received → starting (claimed) → running (its run exists) → done; or ignored."""

    __tablename__ = "channel_inbox"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id"),
        Index("ix_channel_inbox_status", "status", "updated_at"),
    )

    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    sender_id: Mapped[str] = mapped_column(String(255))
    conversation_id: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str | None] = mapped_column(String(255), default=None)
    text: Mapped[str] = mapped_column(Text)
    # sender_name, is_group, mentioned, reply_context: what the reply and the policy need.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="received")
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL"), default=None, index=True
    )
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)


class ChannelOutbox(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One message to send, stored before it is sent; `key` makes queueing it idempotent.

    status: pending → sending (claimed by one process) → sent; or failed after its attempts."""

    __tablename__ = "channel_outbox"
    __table_args__ = (Index("ix_channel_outbox_due", "status", "next_attempt_at"),)

    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255), unique=True)
    part: Mapped[int] = mapped_column(Integer, default=0)
    conversation_id: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str | None] = mapped_column(String(255), default=None)
    reply_to: Mapped[str | None] = mapped_column(String(255), default=None)
    reply_context: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(Text)
    # The platform id of a message this one replaces (the streamed draft of the answer).
    edit_of: Mapped[str | None] = mapped_column(String(255), default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    external_id: Mapped[str | None] = mapped_column(String(255), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
