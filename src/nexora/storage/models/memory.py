"""Agent memory: searchable items (episodic and archival), core blocks always in the prompt,
the append-only history of every change to either, and background memory jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, TimestampMixin, utcnow


class MemoryItem(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One thing remembered. It belongs to an agent (shared by the agent's users, or private
    to one user when `user_id` is set) or to a team's blackboard (`group_id`)."""

    __tablename__ = "memory_items"
    __table_args__ = (
        Index("ix_memory_items_agent", "org_id", "agent_id", "layer", "status"),
        Index("ix_memory_items_group", "org_id", "group_id", "status"),
        Index("ix_memory_items_hash", "org_id", "content_hash"),
        Index("ix_memory_items_session", "session_id"),
    )

    agent_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("agents.id", ondelete="CASCADE"), default=None
    )
    group_id: Mapped[str | None] = mapped_column(String(36), default=None)
    user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    layer: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(1000), default=None)
    position: Mapped[int | None] = mapped_column(Integer, default=None)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    superseded_by: Mapped[str | None] = mapped_column(String(36), default=None)
    origin: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    session_id: Mapped[str | None] = mapped_column(String(36), default=None)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class MemoryBlock(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A named, size-limited piece of core memory placed in every prompt of its agent (for
    its user, when `user_id` is set)."""

    __tablename__ = "memory_blocks"
    __table_args__ = (
        Index("ix_memory_blocks_agent", "org_id", "agent_id"),
        UniqueConstraint("agent_id", "user_id", "label", name="uq_memory_blocks_label"),
    )

    agent_id: Mapped[str] = mapped_column(String(36), ForeignKey("agents.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    label: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    char_limit: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)


class MemoryChange(IdMixin, OrgScopedMixin, Base):
    """One change to an item or a block, never updated: who or what changed it, from what to
    what, and why — so people can see every automatic write and undo it."""

    __tablename__ = "memory_changes"
    __table_args__ = (Index("ix_memory_changes_target", "target_id", "version"),)

    target: Mapped[str] = mapped_column(String(8))  # item | block
    target_id: Mapped[str] = mapped_column(String(36))
    agent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[str | None] = mapped_column(Text, default=None)
    after: Mapped[str | None] = mapped_column(Text, default=None)
    origin: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(36), default=None)
    run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class MemoryJob(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """Background memory work with its progress: ingestion, re-embedding, consolidation."""

    __tablename__ = "memory_jobs"

    agent_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("agents.id", ondelete="CASCADE"), default=None, index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(1000), default=None)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
