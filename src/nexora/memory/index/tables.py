"""The index's tables as SQLAlchemy Core objects, for queries (migration 0007 creates them).

They live outside the ORM's metadata: their shape differs by backend (FTS5 and an integer row
id on SQLite, a tsvector on PostgreSQL, pgvector's type where it exists)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

# SQLite: `terms` are the analysed terms as text; `memory_fts` indexes them by `id`.
# PostgreSQL: `terms` is a tsvector and there is no `id`.
sqlite_terms = Table(
    "memory_terms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", String(36)),
    Column("terms", Text),
)

vectors = Table(
    "memory_vectors",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("org_id", String(36)),
    Column("embedder", String(200)),
    Column("dims", Integer),
    Column("generation", BigInteger),
    Column("vector", LargeBinary),
)

index_state = Table(
    "memory_index_state",
    metadata,
    Column("org_id", String(36), primary_key=True),
    Column("generation", BigInteger),
    Column("removals", BigInteger),
)
