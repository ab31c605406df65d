"""Grants, capability policies and approvals, quotas, secrets and runtime configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, TimestampMixin, utcnow


class AgentGrant(IdMixin, OrgScopedMixin, Base):
    """A user may see and use an agent (admins need none)."""

    __tablename__ = "agent_grants"
    __table_args__ = (UniqueConstraint("user_id", "agent_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CapabilityPolicy(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """Risk and rule for one kind of capability change in one environment."""

    __tablename__ = "capability_policies"
    __table_args__ = (UniqueConstraint("org_id", "capability", "action", "environment"),)

    capability: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    environment: Mapped[str] = mapped_column(String(40), default="default")
    risk: Mapped[str] = mapped_column(String(10))
    rule: Mapped[str] = mapped_column(String(10))


class Approval(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A change (or, later, a tool call) waiting for a human decision."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_org_status", "org_id", "status", "created_at"),)

    kind: Mapped[str] = mapped_column(String(20), default="capability")
    requester_id: Mapped[str | None] = mapped_column(String(36), default=None)
    capability: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    risk: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    request_context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_by: Mapped[str | None] = mapped_column(String(36), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime] = mapped_column()


class AuditChainHead(Base):
    """One row: the newest audit event's sequence number and hash. Updating it first in every
    audit write serialises writers across processes, on SQLite and PostgreSQL alike."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class Quota(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """Token and cost limits for a user (user_id set) or a whole org (user_id empty)."""

    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    daily_tokens: Mapped[int | None] = mapped_column(BigInteger, default=None)
    monthly_tokens: Mapped[int | None] = mapped_column(BigInteger, default=None)
    monthly_cost: Mapped[float | None] = mapped_column(Float, default=None)


class Secret(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    __tablename__ = "secrets"
    __table_args__ = (UniqueConstraint("org_id", "user_id", "name"),)

    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    name: Mapped[str] = mapped_column(String(100))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    description: Mapped[str] = mapped_column(String(500), default="")


class RuntimeConfig(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    __tablename__ = "runtime_config"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str | None] = mapped_column(String(36), default=None)


class McpServer(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """An MCP server an org (or one agent) may use; added through capability approval."""

    __tablename__ = "mcp_servers"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    agent_id: Mapped[str | None] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), default=None
    )
    name: Mapped[str] = mapped_column(String(64))
    transport: Mapped[str] = mapped_column(String(20))
    command: Mapped[str | None] = mapped_column(String(500), default=None)
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    url: Mapped[str | None] = mapped_column(String(500), default=None)
    secret_env: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    danger: Mapped[str | None] = mapped_column(String(10), default=None)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=30.0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)


class PluginEnablement(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A plugin an org has enabled (through capability approval); no row means disabled."""

    __tablename__ = "plugin_enablements"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(64))  # the version that was approved
    enabled_by: Mapped[str | None] = mapped_column(String(36), default=None)
