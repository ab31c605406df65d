"""Shared plumbing for commands that work on the local data dir directly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor, Role
from nexora.config import ConfigError, Settings, load_settings
from nexora.errors import NexoraError
from nexora.platform import Platform
from nexora.storage.models import Membership, Org, User

console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")


def settings_or_exit(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def run_local(work: Callable[[Platform], Awaitable[T]], **overrides: object) -> T:
    """Starts the platform on the local data dir (migrating it), runs `work`, stops cleanly.

    No worker loop runs: a CLI command never picks up other people's queued runs."""
    settings = settings_or_exit(**overrides)

    async def main() -> T:
        platform = Platform.from_settings(settings)
        await platform.start(workers=False)
        try:
            return await work(platform)
        finally:
            await platform.stop()

    try:
        return asyncio.run(main())
    except NexoraError as exc:
        err_console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from exc


@contextmanager
def reported_errors() -> Iterator[None]:
    """User-facing errors become one clear line and exit code 1, not a traceback."""
    try:
        yield
    except NexoraError as exc:
        err_console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from exc


async def local_actor(db: AsyncSession, org_name: str) -> Actor:
    """Whoever can read the data dir owns the installation: they act as the org's first
    administrator (so runs and usage are attributed to a real user)."""
    org = await db.scalar(select(Org).where(Org.name == org_name))
    if org is None:
        raise NexoraError(f"organization {org_name!r} not found")
    admin = (
        await db.execute(
            select(User.id, User.username)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.org_id == org.id, Membership.role == Role.ADMIN.value)
            .order_by(Membership.created_at)
            .limit(1)
        )
    ).first()
    return Actor(
        user_id=admin.id if admin else "local",
        username=admin.username if admin else "local",
        org_id=org.id,
        role=Role.ADMIN,
        platform_admin=True,
        via="local",
    )
