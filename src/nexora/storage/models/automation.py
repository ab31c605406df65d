"""Scheduled tasks: what runs when, as whom, and where its result goes; and each firing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, TimestampMixin


class CronJob(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A task an agent (or a team) does on a schedule, as its owner, delivered to a chat.

    `schedule` is a 5-field cron expression read in `timezone`, or "@once" for a one-off at
    `next_fire_at`. Which process fires a due job is decided by moving `next_fire_at` on with a
    conditional update: exactly one succeeds."""

    __tablename__ = "cron_jobs"
    __table_args__ = (
        UniqueConstraint("org_id", "name"),
        Index("ix_cron_jobs_due", "enabled", "next_fire_at"),
    )

    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[str | None] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), default=None
    )
    group_id: Mapped[str | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), default=None
    )
    name: Mapped[str] = mapped_column(String(100))
    schedule: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    task: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(64), default=None)
    # {"channel_id", "to"}: the chat the result is posted in; None keeps it in the run.
    deliver: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Post the result only when it differs from the last one posted (a watch, not a report).
    only_on_change: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the process was down at the time: "skip" the missed firing, or "run_once" late.
    missed: Mapped[str] = mapped_column(String(16), default="skip")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_fire_at: Mapped[datetime | None] = mapped_column(default=None)
    last_fired_at: Mapped[datetime | None] = mapped_column(default=None)
    last_result_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    # Set when an agent scheduled it for itself (`schedule_task`), from this run.
    created_by_run_id: Mapped[str | None] = mapped_column(String(36), default=None)


class CronFiring(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One firing of a job: unique per scheduled time, so it happens at most once.

    status: started (its run exists) → completed / failed / unchanged; or skipped (missed)."""

    __tablename__ = "cron_firings"
    __table_args__ = (
        UniqueConstraint("job_id", "scheduled_for"),
        Index("ix_cron_firings_status", "status"),
    )

    job_id: Mapped[str] = mapped_column(ForeignKey("cron_jobs.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime] = mapped_column()
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="started")
    output: Mapped[str | None] = mapped_column(Text, default=None)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text, default=None)
