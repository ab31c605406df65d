"""`nexora secrets`: the local data dir's secrets, and rotation of the key that encrypts them."""

from __future__ import annotations

import sys

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.cli._local import console, local_actor, reported_errors, run_local, settings_or_exit
from nexora.errors import InvalidInput, NotFound
from nexora.governance.secret_store import (
    SecretChange,
    SecretOwner,
    SecretView,
    check_name,
    org_owner,
    rotate_key,
)
from nexora.platform import Platform
from nexora.storage.models import User

app = typer.Typer(
    help="Manage secrets and their encryption key (works on the local data dir).",
    no_args_is_help=True,
)

ORG = typer.Option("default", "--org", help="Organization name.")
USER = typer.Option(None, "--user", help="A member's username: their personal secret.")


async def _owner(db: AsyncSession, actor: Actor, username: str | None) -> SecretOwner:
    if username is None:
        return await org_owner(db, actor)
    user_id = await db.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise NotFound(f"user {username!r} not found")
    return await org_owner(db, actor, user_id)


def _read_value() -> str:
    """From a hidden prompt on a terminal, else all of stdin: never from argv, where it
    would land in shell history and process listings."""
    if sys.stdin.isatty():
        value: str = typer.prompt("Value", hide_input=True, confirmation_prompt=True)
        return value
    value = sys.stdin.read()
    # `echo value | nexora secrets set` adds one newline that is not part of the secret.
    return value[:-1] if value.endswith("\n") else value


@app.command("list")
def list_(org: str = ORG) -> None:
    """List the organization's secrets and its members' personal ones, values masked."""

    async def work(platform: Platform) -> list[SecretView]:
        async with platform.db.session() as db:
            owner = await org_owner(db, await local_actor(db, org))
            return await platform.secret_store.list(db, owner)

    table = Table("name", "scope", "user", "value", "description", "updated")
    for view in run_local(work):
        table.add_row(
            view.name,
            view.scope,
            view.user_id or "",
            view.masked_value or "",
            view.description,
            view.updated_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@app.command("set")
def set_(
    name: str,
    org: str = ORG,
    user: str | None = USER,
    description: str | None = typer.Option(None, help="What the secret is for."),
) -> None:
    """Create or replace a secret; the value is read from a hidden prompt or from stdin."""
    with reported_errors():
        check_name(name)
        value = _read_value()
        if not value:
            raise InvalidInput("no value given")

    async def work(platform: Platform) -> SecretChange:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            owner = await _owner(db, actor, user)
            change = await platform.secret_store.put(db, owner, name, value, description)
        platform.audit.record(
            "secret.update",
            actor=actor,
            resource_type="secret",
            resource_id=change.secret_id,
            detail={"name": name, "scope": owner.scope, "user_id": owner.user_id, "via": "cli"},
        )
        return change

    change = run_local(work)
    console.print(f"{'created' if change.created else 'updated'} {name} ({change.view.scope})")


@app.command("delete")
def delete(name: str, org: str = ORG, user: str | None = USER) -> None:
    """Delete a secret."""

    async def work(platform: Platform) -> None:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            owner = await _owner(db, actor, user)
            secret_id = await platform.secret_store.delete(db, owner, name)
        platform.audit.record(
            "secret.delete",
            actor=actor,
            resource_type="secret",
            resource_id=secret_id,
            detail={"name": name, "scope": owner.scope, "user_id": owner.user_id, "via": "cli"},
        )

    run_local(work)
    console.print(f"deleted {name}")


@app.command("rotate-key")
def rotate_key_command() -> None:
    """Encrypt every secret and provider API key with a new key; the old key is kept."""
    keys_dir = settings_or_exit().home / "keys"

    async def work(platform: Platform) -> None:
        rotation = await rotate_key(platform.db, keys_dir)
        platform.audit.record(
            "secret.rotate_key",
            actor=None,
            resource_type="secret_key",
            detail={"secrets": rotation.secrets, "provider_keys": rotation.provider_keys},
        )
        console.print(
            f"re-encrypted {rotation.secrets} secrets and {rotation.provider_keys} provider "
            f"API keys with a new key.\nThe previous key is kept in {rotation.kept_old_key}: "
            "values it encrypted still decrypt, and it lets you recover an interrupted run.\n"
            "Restart running servers and workers: they pick up the new key on restart."
        )

    run_local(work)
