"""Alembic, driven from code: applied at start and by `nexora db upgrade`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from nexora.storage.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# The newest revision, kept here so that a start on an up-to-date schema costs one query
# instead of loading Alembic and every migration script (about 0.1 s). A test keeps it true.
SCHEMA_HEAD = "0013"


def _alembic_config(url: str) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # configparser would read '%' (URL-escaped socket paths, passwords) as interpolation.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config("sqlite://"))  # type: ignore[arg-type]
    head = script.get_current_head()
    assert head is not None
    return head


async def current_revision(db: Database) -> str | None:
    try:
        async with db.engine.connect() as conn:
            row = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return row.scalar_one_or_none()
    except DBAPIError:
        return None


async def upgrade(db: Database) -> None:
    """Brings the schema to the newest revision; a no-op that costs one query when it is."""
    if await current_revision(db) == SCHEMA_HEAD:
        return
    from alembic import command

    config = _alembic_config(db.url.render_as_string(hide_password=False))
    async with db.engine.begin() as conn:
        await conn.run_sync(_run_upgrade, command, config)


def _run_upgrade(sync_conn: object, command: object, config: object) -> None:
    config.attributes["connection"] = sync_conn  # type: ignore[attr-defined]
    command.upgrade(config, "head")  # type: ignore[attr-defined]
