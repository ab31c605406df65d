"""Skills an org installed: the database holds the whole bundle, so every machine of a
multi-machine installation can put the same files on its own disk."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexora.storage.base import Base, IdMixin, OrgScopedMixin, TimestampMixin


class InstalledSkill(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{path, size}]
    size: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the files, see SkillBundle
    archive: Mapped[bytes] = mapped_column(LargeBinary)  # the files, zipped
    scan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the scanner's report
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
