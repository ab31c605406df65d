"""memory search index: full-text terms and vectors

On SQLite, an FTS5 table over the analysed terms (kept in step with `memory_terms` by triggers)
and vectors as float32 BLOBs, searched with NumPy. On PostgreSQL, a `tsvector` with a GIN index,
and vectors in pgvector's type when the extension can be created here; where it cannot (Debian's
PostgreSQL has no pgvector package), BYTEA vectors searched with NumPy as on SQLite.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _pgvector_created(bind: sa.Connection) -> bool:
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
    ).scalar()
    if not available:
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    except sa.exc.DBAPIError:
        return False  # installed but not ours to create (no privilege): the NumPy path works
    return True


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute(
            "CREATE TABLE memory_terms ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " item_id VARCHAR(36) NOT NULL UNIQUE"
            "  REFERENCES memory_items (id) ON DELETE CASCADE,"
            " terms TEXT NOT NULL)"
        )
        op.execute(
            "CREATE VIRTUAL TABLE memory_fts USING fts5("
            "terms, content='memory_terms', content_rowid='id', tokenize='unicode61')"
        )
        op.execute(
            "CREATE TRIGGER memory_terms_ai AFTER INSERT ON memory_terms BEGIN"
            " INSERT INTO memory_fts (rowid, terms) VALUES (new.id, new.terms); END"
        )
        op.execute(
            "CREATE TRIGGER memory_terms_ad AFTER DELETE ON memory_terms BEGIN"
            " INSERT INTO memory_fts (memory_fts, rowid, terms)"
            " VALUES ('delete', old.id, old.terms); END"
        )
        op.execute(
            "CREATE TRIGGER memory_terms_au AFTER UPDATE ON memory_terms BEGIN"
            " INSERT INTO memory_fts (memory_fts, rowid, terms)"
            " VALUES ('delete', old.id, old.terms);"
            " INSERT INTO memory_fts (rowid, terms) VALUES (new.id, new.terms); END"
        )
        vector_type = "BLOB"
    else:
        op.execute(
            "CREATE TABLE memory_terms ("
            " item_id VARCHAR(36) PRIMARY KEY REFERENCES memory_items (id) ON DELETE CASCADE,"
            " terms TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_memory_terms_terms ON memory_terms USING gin (terms)")
        vector_type = "vector" if _pgvector_created(bind) else "BYTEA"

    op.execute(
        "CREATE TABLE memory_vectors ("
        " item_id VARCHAR(36) NOT NULL,"
        " org_id VARCHAR(36) NOT NULL,"
        " embedder VARCHAR(200) NOT NULL,"
        " dims INTEGER NOT NULL,"
        " generation BIGINT NOT NULL,"
        f" vector {vector_type} NOT NULL,"
        " CONSTRAINT pk_memory_vectors PRIMARY KEY (item_id),"
        " CONSTRAINT fk_memory_vectors_item_id_memory_items FOREIGN KEY (item_id)"
        "  REFERENCES memory_items (id) ON DELETE CASCADE)"
    )
    op.create_index(
        "ix_memory_vectors_org_embedder", "memory_vectors", ["org_id", "embedder", "generation"]
    )
    # Bumped by every write of an org's vectors, in the same transaction: searches that keep
    # the org's vectors in memory compare it to know whether another process changed them.
    op.create_table(
        "memory_index_state",
        sa.Column("org_id", sa.String(36), primary_key=True),
        sa.Column("generation", sa.BigInteger, nullable=False),
        sa.Column("removals", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("memory_index_state")
    op.drop_index("ix_memory_vectors_org_embedder", "memory_vectors")
    op.drop_table("memory_vectors")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE memory_fts")
    op.drop_table("memory_terms")
