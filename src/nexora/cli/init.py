from __future__ import annotations

import secrets

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Role
from nexora.cli._local import console, run_local, settings_or_exit
from nexora.platform import Platform
from nexora.tenancy.bootstrap import ADMIN_USERNAME, ensure_default_org
from nexora.tenancy.users import add_user, count_users

CONFIG_TEMPLATE = """\
# Nexora configuration. Environment variables (NEXORA_<KEY>) and command-line flags override
# these values. Every key is optional.
#
# db_url: postgresql://user:password@localhost:5432/nexora   # default: SQLite in this folder
# host: 127.0.0.1
# port: 8088
# default_model: openai:gpt-4o-mini                         # provider:model
# agent_pool_max_active: 20
# agent_pool_idle_ttl_seconds: 3600
# max_body_bytes: 1048576
"""


async def _create_admin_if_none(db: AsyncSession) -> str | None:
    if await count_users(db) > 0:
        return None
    password = secrets.token_urlsafe(12)
    org = await ensure_default_org(db)
    await add_user(db, org.id, ADMIN_USERNAME, password, Role.ADMIN, platform_admin=True)
    return password


def init(home: str | None = typer.Option(None, help="Data dir (default ~/.nexora).")) -> None:
    """Create the data dir, its config file and database, and the first administrator."""
    settings = settings_or_exit(home=home)
    settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not settings.config_file.exists():
        settings.config_file.write_text(CONFIG_TEMPLATE, encoding="utf-8")
        console.print(f"wrote {settings.config_file}")

    async def work(platform: Platform) -> str | None:
        async with platform.db.session() as db:
            return await _create_admin_if_none(db)

    generated = run_local(work, home=home)
    console.print(f"data dir ready: {settings.home}")
    if generated:
        console.print(
            f"created user [bold]{ADMIN_USERNAME}[/bold] with password "
            f"[bold yellow]{generated}[/bold yellow]\nIt is shown only this once: store it now "
            "(change it later with PUT /api/auth/password)."
        )
