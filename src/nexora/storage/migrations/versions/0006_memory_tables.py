"""memory tables

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 05:53:49.125945
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "memory_changes",
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_memory_changes_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_changes")),
    )
    with op.batch_alter_table("memory_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_memory_changes_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_memory_changes_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_memory_changes_target", ["target_id", "version"], unique=False)

    op.create_table(
        "memory_blocks",
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("char_limit", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_memory_blocks_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_memory_blocks_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_blocks")),
        sa.UniqueConstraint("agent_id", "user_id", "label", name="uq_memory_blocks_label"),
    )
    with op.batch_alter_table("memory_blocks", schema=None) as batch_op:
        batch_op.create_index("ix_memory_blocks_agent", ["org_id", "agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_memory_blocks_org_id"), ["org_id"], unique=False)

    op.create_table(
        "memory_items",
        sa.Column("agent_id", sa.String(length=36), nullable=True),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("layer", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("superseded_by", sa.String(length=36), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_memory_items_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_memory_items_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_items")),
    )
    with op.batch_alter_table("memory_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_memory_items_agent", ["org_id", "agent_id", "layer", "status"], unique=False
        )
        batch_op.create_index(
            "ix_memory_items_group", ["org_id", "group_id", "status"], unique=False
        )
        batch_op.create_index("ix_memory_items_hash", ["org_id", "content_hash"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_memory_items_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_memory_items_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_memory_items_session", ["session_id"], unique=False)

    op.create_table(
        "memory_jobs",
        sa.Column("agent_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_memory_jobs_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_memory_jobs_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_jobs")),
    )
    with op.batch_alter_table("memory_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memory_jobs_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_memory_jobs_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("memory_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memory_jobs_org_id"))
        batch_op.drop_index(batch_op.f("ix_memory_jobs_agent_id"))

    op.drop_table("memory_jobs")
    with op.batch_alter_table("memory_items", schema=None) as batch_op:
        batch_op.drop_index("ix_memory_items_session")
        batch_op.drop_index(batch_op.f("ix_memory_items_org_id"))
        batch_op.drop_index(batch_op.f("ix_memory_items_occurred_at"))
        batch_op.drop_index("ix_memory_items_hash")
        batch_op.drop_index("ix_memory_items_group")
        batch_op.drop_index("ix_memory_items_agent")

    op.drop_table("memory_items")
    with op.batch_alter_table("memory_blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memory_blocks_org_id"))
        batch_op.drop_index("ix_memory_blocks_agent")

    op.drop_table("memory_blocks")
    with op.batch_alter_table("memory_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_memory_changes_target")
        batch_op.drop_index(batch_op.f("ix_memory_changes_org_id"))
        batch_op.drop_index(batch_op.f("ix_memory_changes_created_at"))

    op.drop_table("memory_changes")
