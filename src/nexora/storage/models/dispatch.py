"""Dispatches: an objective the org's secretary turned into a team and a run for a caller."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, TimestampMixin


class Dispatch(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One request to the secretary: who asked, what for, whom it chose, and what came back.

    `status` is "running" while the started run works, then "completed" or "failed";
    "not_started" when nothing could be started (the reason is in `error`). `reply_to` is
    "api" (read it back) or a webhook URL the result is posted to."""

    __tablename__ = "dispatches"
    __table_args__ = (Index("ix_dispatches_org_user", "org_id", "user_id", "created_at"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    objective: Mapped[str] = mapped_column(Text)
    # [{"role": "frontend", "agent_id": ..., "agent": "web-dev"}], in the order they were asked.
    assignments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    roles_by: Mapped[str] = mapped_column(String(16), default="caller")  # caller|model|rule
    playbook: Mapped[str | None] = mapped_column(String(64), default=None)
    group_id: Mapped[str | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"), default=None
    )
    run_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    playbook_run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    reply_to: Mapped[str] = mapped_column(String(2000), default="api")
    result: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # "delivered", "failed: <why>" or None (nothing to deliver yet, or reply_to is "api").
    delivery: Mapped[str | None] = mapped_column(String(500), default=None)
