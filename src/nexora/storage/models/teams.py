"""Teams: roles, groups of agents with one lead, and who may start a group's runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, TimestampMixin, utcnow


class Role(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """What a member does in a team: instructions added to its prompt and its own tool rules.

    `tool_rules` has the shape of the per-role runtime setting: `{"only": [...], "ask": [...],
    "block": [...]}` of tool-name patterns; it narrows what the agent may do, never widens it.
    """

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    tool_rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What an agent in this role can be asked for ("frontend", "qa"); dispatch matches on it.
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class Group(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A team of agents. Its blackboard is the memory items whose `group_id` is this id."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    # "serial" or "parallel": how a team run proceeds when its request names no mode.
    default_mode: Mapped[str] = mapped_column(String(16), default="serial")
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class GroupMember(IdMixin, OrgScopedMixin, Base):
    """An agent in a group with a role; serial runs go through members in `position` order."""

    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("group_id", "agent_id"),)

    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[str | None] = mapped_column(
        ForeignKey("roles.id", ondelete="RESTRICT"), default=None, index=True
    )
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupGrant(IdMixin, OrgScopedMixin, Base):
    """A user may start a group's runs and read its blackboard (admins need none)."""

    __tablename__ = "group_grants"
    __table_args__ = (UniqueConstraint("user_id", "group_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
