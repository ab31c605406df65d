"""vault artifacts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 10:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vault_artifacts",
        sa.Column("project_id", sa.String(length=36), nullable=True),
        sa.Column("project_key", sa.String(length=36), nullable=False),
        sa.Column("playbook_run_id", sa.String(length=36), nullable=True),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("author_agent_id", sa.String(length=36), nullable=True),
        sa.Column("author_user_id", sa.String(length=36), nullable=True),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_vault_artifacts_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_vault_artifacts_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vault_artifacts")),
        sa.UniqueConstraint(
            "org_id", "project_key", "key", "version", name=op.f("uq_vault_artifacts_org_id")
        ),
    )
    with op.batch_alter_table("vault_artifacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vault_artifacts_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_vault_artifacts_playbook_run", ["playbook_run_id"], unique=False)


def downgrade() -> None:
    op.drop_table("vault_artifacts")
