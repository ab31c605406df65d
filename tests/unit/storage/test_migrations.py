from __future__ import annotations

from sqlalchemy import inspect

from nexora.storage import migrate
from nexora.storage.db import Database


async def test_upgrade_creates_schema_and_is_idempotent(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert await migrate.current_revision(db) is None
        await migrate.upgrade(db)
        assert await migrate.current_revision(db) == migrate.head_revision()
        await migrate.upgrade(db)
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {
            "orgs",
            "projects",
            "users",
            "memberships",
            "api_keys",
            "agents",
            "provider_settings",
            "auth_sessions",
        } <= tables
    finally:
        await db.dispose()


async def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await db.dispose()


def test_schema_head_constant_matches_the_newest_migration() -> None:
    assert migrate.head_revision() == migrate.SCHEMA_HEAD
