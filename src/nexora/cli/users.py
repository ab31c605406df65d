from __future__ import annotations

import typer
from rich.table import Table

from nexora.auth.actor import Role
from nexora.cli._local import console, local_actor, run_local
from nexora.platform import Platform
from nexora.tenancy import users as user_service

app = typer.Typer(help="Manage users (works on the local data dir).", no_args_is_help=True)


@app.command("create")
def create(
    username: str,
    role: Role = typer.Option(Role.OPERATOR, help="admin or operator"),
    org: str = typer.Option("default", help="Organization name."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters."
    ),
) -> None:
    """Create a user in an organization."""

    async def work(platform: Platform) -> user_service.OrgUser:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            return await user_service.create_user(db, actor, username, password, role, actor.org_id)

    found = run_local(work)
    console.print(f"created {found.user.username} ({found.membership.role}) id={found.user.id}")


@app.command("list")
def list_(org: str = typer.Option("default", help="Organization name.")) -> None:
    """List the users of an organization."""

    async def work(platform: Platform) -> list[user_service.OrgUser]:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            return await user_service.list_users(db, actor, actor.org_id)

    table = Table("id", "username", "role", "disabled", "created")
    for found in run_local(work):
        table.add_row(
            found.user.id,
            found.user.username,
            found.membership.role,
            "yes" if found.user.disabled else "",
            found.user.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)
