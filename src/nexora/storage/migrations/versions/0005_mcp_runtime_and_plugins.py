"""mcp runtime fields and plugin enablements

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mcp_servers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("secret_headers", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("danger", sa.String(length=10), nullable=True))

    op.create_table(
        "plugin_enablements",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("enabled_by", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_plugin_enablements_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_enablements")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_plugin_enablements_org_id")),
    )
    with op.batch_alter_table("plugin_enablements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plugin_enablements_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plugin_enablements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plugin_enablements_org_id"))
    op.drop_table("plugin_enablements")
    with op.batch_alter_table("mcp_servers", schema=None) as batch_op:
        batch_op.drop_column("danger")
        batch_op.drop_column("secret_headers")
