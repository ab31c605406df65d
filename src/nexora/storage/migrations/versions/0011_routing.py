"""routing: how chat routed a run, and the secretary's dispatches

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 09:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added in place (no batch rebuild): rebuilding `runs` on SQLite would cascade into its
    # events and steps.
    op.add_column("runs", sa.Column("routing", sa.JSON(), nullable=True))

    op.create_table(
        "dispatches",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("assignments", sa.JSON(), nullable=False),
        sa.Column("roles_by", sa.String(length=16), nullable=False),
        sa.Column("playbook", sa.String(length=64), nullable=True),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("playbook_run_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reply_to", sa.String(length=2000), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("delivery", sa.String(length=500), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_dispatches_group_id_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_dispatches_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_dispatches_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatches")),
    )
    with op.batch_alter_table("dispatches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dispatches_org_user", ["org_id", "user_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dispatches_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispatches_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispatches_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dispatches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatches_status"))
        batch_op.drop_index(batch_op.f("ix_dispatches_run_id"))
        batch_op.drop_index(batch_op.f("ix_dispatches_org_id"))
        batch_op.drop_index("ix_dispatches_org_user")
    op.drop_table("dispatches")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("routing")
