"""Artifacts a project's vault keeps: what playbook stages (and people) delivered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, utcnow

# The vault of an organization's work that belongs to no project.
DEFAULT_PROJECT = "default"


class Artifact(IdMixin, OrgScopedMixin, Base):
    """One version of one artifact. Text lives in `value` as well as in the vault's files, so
    reading it never touches the disk; a file artifact is read from the vault."""

    __tablename__ = "vault_artifacts"
    __table_args__ = (
        # `project_key` is the project's id or DEFAULT_PROJECT: NULL would defeat uniqueness.
        UniqueConstraint("org_id", "project_key", "key", "version"),
        Index("ix_vault_artifacts_playbook_run", "playbook_run_id"),
    )

    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None
    )
    project_key: Mapped[str] = mapped_column(String(36))
    playbook_run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    stage: Mapped[str | None] = mapped_column(String(64), default=None)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    value: Mapped[str | None] = mapped_column(Text, default=None)
    filename: Mapped[str | None] = mapped_column(String(200), default=None)
    media_type: Mapped[str] = mapped_column(String(100), default="text/plain")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    author_agent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    author_user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # The git commit that delivered it (git vaults only).
    commit: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
