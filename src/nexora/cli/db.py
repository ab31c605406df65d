from __future__ import annotations

import asyncio

import typer

from nexora.cli._local import console, settings_or_exit
from nexora.storage import migrate
from nexora.storage.db import Database

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply every pending migration (also done at start)."""
    settings = settings_or_exit()

    async def work() -> tuple[str | None, str | None]:
        db = Database(settings.database_url)
        try:
            before = await migrate.current_revision(db)
            await migrate.upgrade(db)
            return before, await migrate.current_revision(db)
        finally:
            await db.dispose()

    before, after = asyncio.run(work())
    console.print(f"schema: {before or 'empty'} -> {after}")


@app.command("current")
def current() -> None:
    """Show the schema revision and the newest one this version knows."""
    settings = settings_or_exit()

    async def work() -> str | None:
        db = Database(settings.database_url)
        try:
            return await migrate.current_revision(db)
        finally:
            await db.dispose()

    console.print(f"current: {asyncio.run(work()) or 'empty'}  head: {migrate.head_revision()}")
