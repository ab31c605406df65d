"""Runs and what they leave behind: sessions, steps, events, token usage and audit events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, TimestampMixin, utcnow


class ChatSession(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One conversation thread between a user and an agent; its messages are its runs."""

    __tablename__ = "chat_sessions"
    __table_args__ = (Index("ix_chat_sessions_user_updated", "user_id", "updated_at"),)

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(200), default=None)
    channel: Mapped[str] = mapped_column(String(40), default="api")


class Run(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One execution of an agent on an input; waits in this table until a worker claims it."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_queue", "status", "created_at"),
        Index("ix_runs_org_status", "org_id", "status"),
        Index("ix_runs_session", "session_id", "created_at"),
    )

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), default=None
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    parent_run_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    # Set on a team run: `agent_id` is then the group's lead, who writes the decision.
    group_id: Mapped[str | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), default=None, index=True
    )
    # How chat routing sent this run ({"route": "fast"|"agent"|"team", "by", "reason", and
    # "confirm"/"max_steps" when the user asked for them}); None for runs nobody routed.
    routing: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    input: Mapped[str] = mapped_column(Text)
    # Messages the caller supplied as earlier context (OpenAI-style clients send them).
    context: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    output: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    step_count: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    # Bumped on every claim; a worker whose epoch is stale has been fenced out.
    lease_epoch: Mapped[int] = mapped_column(Integer, default=0)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class RunStep(IdMixin, Base):
    """A checkpoint: the messages one step added to the run's history, enough to resume."""

    __tablename__ = "run_steps"
    __table_args__ = (UniqueConstraint("run_id", "index"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    messages: Mapped[list[Any]] = mapped_column(JSON)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunEvent(Base):
    __tablename__ = "run_events"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class TokenUsage(IdMixin, OrgScopedMixin, Base):
    __tablename__ = "token_usage"
    __table_args__ = (
        Index("ix_token_usage_org_time", "org_id", "created_at"),
        Index("ix_token_usage_user_time", "user_id", "created_at"),
    )

    user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    agent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    total_tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(IdMixin, Base):
    """Append-only: each event's hash covers its fields and the previous event's hash."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_org_time", "org_id", "created_at"),)

    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, default=None)
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    hash: Mapped[str | None] = mapped_column(String(64), default=None)
    org_id: Mapped[str | None] = mapped_column(String(36), default=None)
    actor_id: Mapped[str | None] = mapped_column(String(36), default=None)
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str | None] = mapped_column(String(40), default=None)
    resource_id: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(20), default="success")
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
