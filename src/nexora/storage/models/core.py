"""Tenants, identities, agents and provider settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, TimestampMixin


class Org(IdMixin, TimestampMixin, Base):
    __tablename__ = "orgs"

    name: Mapped[str] = mapped_column(String(100), unique=True)


class Project(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The bootstrap administrator may create organizations and manage every org's users.
    platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)


class Membership(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "org_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))


class AuthSession(IdMixin, OrgScopedMixin, Base):
    """A login: access tokens name it, so logout or a disabled user ends it everywhere."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiKey(IdMixin, OrgScopedMixin, Base):
    __tablename__ = "api_keys"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AgentRecord(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """Index of an agent whose full configuration is `agents/<id>/agent.yaml`.

    The YAML text is kept here too so that processes on other machines see the same agent.
    """

    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    config_yaml: Mapped[str] = mapped_column(Text)
    config_mtime: Mapped[float] = mapped_column(Float, default=0.0)
    load_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class ProviderSetting(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    __tablename__ = "provider_settings"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(64))
    preset: Mapped[str] = mapped_column(String(64))
    base_url: Mapped[str | None] = mapped_column(String(500), default=None)
    api_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    models: Mapped[list[Any]] = mapped_column(JSON, default=list)
    proxy_url: Mapped[str | None] = mapped_column(String(500), default=None)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=60.0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
