"""Playbooks: stage-based processes, their runs, and each stage's executions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, TimestampMixin, utcnow


class Playbook(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A saved definition: the YAML as written (kept verbatim) and its version."""

    __tablename__ = "playbooks"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(64))
    yaml: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class PlaybookRun(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One execution of a playbook. `definition` is the playbook as it was at the start, with
    every stage's worker agent resolved, so editing the playbook never changes a run."""

    __tablename__ = "playbook_runs"
    __table_args__ = (Index("ix_playbook_runs_status", "status"),)

    playbook_id: Mapped[str] = mapped_column(
        ForeignKey("playbooks.id", ondelete="CASCADE"), index=True
    )
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    objective: Mapped[str] = mapped_column(Text)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    current_stage: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[str | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"), default=None
    )
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None
    )
    result_summary: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # Bumped by every change (SQLAlchemy's version counter): of two processes advancing one
    # run at once, the second's update matches no row and its whole transaction is undone.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    __mapper_args__ = {"version_id_col": revision}


class StageExecution(IdMixin, Base):
    """One attempt at one stage: the agent run doing the work, or an owner's takeover."""

    __tablename__ = "stage_executions"
    __table_args__ = (UniqueConstraint("playbook_run_id", "seq"),)

    playbook_run_id: Mapped[str] = mapped_column(
        ForeignKey("playbook_runs.id", ondelete="CASCADE"), index=True
    )
    # 1, 2, 3... within the playbook run: the order stages ran in, rejections included.
    seq: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(64))
    stage_index: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="running")
    agent_id: Mapped[str | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    # No foreign key: the row and its run are written in one transaction, the row first.
    run_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    summary: Mapped[str | None] = mapped_column(Text, default=None)
    # [{"id", "kind", "key", "version", "summary"}]: what this attempt delivered to the vault.
    output_refs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # {"decision": "approve"|"reject", "reason", "back_to"} on review stages.
    review: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    handoff_tokens: Mapped[int] = mapped_column(Integer, default=0)
    full_history_tokens: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
