"""`nexora channels`: chat-app channels (works on the local data dir, as the org's first admin).
Connections are held, and messages answered, by the server's workers."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import or_, select

from nexora.auth.actor import Actor
from nexora.channels.adapters import adapter_class
from nexora.channels.base import adapter_types
from nexora.channels.identities import map_identity, new_pairing_code
from nexora.channels.service import Health
from nexora.channels.store import ChannelIn, takes_webhooks, view
from nexora.cli._local import console, local_actor, reported_errors, run_local
from nexora.errors import InvalidInput
from nexora.platform import Platform
from nexora.storage.models import AgentRecord, Channel, User

app = typer.Typer(help="Chat-app channels (works on the local data dir).", no_args_is_help=True)
ORG = typer.Option("default", "--org", help="Organization name.")
CHANNEL = typer.Argument(..., help="Channel id or name.")


def _base_url(platform: Platform) -> str:
    settings = platform.settings
    return settings.public_url or f"http://{settings.host}:{settings.port}/"


async def _target(platform: Platform, org: str, id_or_name: str) -> tuple[Actor, Channel]:
    """The local admin and the channel they named (by id or name; else not found)."""
    async with platform.db.session() as db:
        actor = await local_actor(db, org)
        found = await db.scalar(
            select(Channel.id).where(
                Channel.org_id == actor.org_id,
                or_(Channel.id == id_or_name, Channel.name == id_or_name),
            )
        )
        return actor, await platform.channels.store.get(db, actor, found or id_or_name)


def _audit(platform: Platform, action: str, actor: Actor, channel_id: str, **detail: Any) -> None:
    platform.audit.record(
        action,
        actor=actor,
        resource_type="channel",
        resource_id=channel_id,
        detail={**detail, "via": "cli"},
    )


def _config(pairs: list[str], as_json: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if as_json:
        try:
            loaded = json.loads(as_json)
        except ValueError as error:
            raise InvalidInput(f"--config-json: {error}") from None
        if not isinstance(loaded, dict):
            raise InvalidInput("--config-json: a JSON object")
        config.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--config {pair!r}: KEY=VALUE")
        config[key] = value
    return config


@app.command("list")
def list_(org: str = ORG) -> None:
    """The org's channels, with their connection state."""

    async def work(platform: Platform) -> list[Channel]:
        async with platform.db.session() as db:
            return await platform.channels.store.list(db, await local_actor(db, org))

    table = Table("id", "name", "type", "agent", "enabled", "connected", "last error")
    for channel in run_local(work):
        table.add_row(
            channel.id,
            channel.name,
            channel.type,
            channel.agent_id,
            "yes" if channel.enabled else "no",
            "yes" if channel.connected else "-",
            (channel.last_error or "")[:60],
        )
    console.print(table)


@app.command("types")
def types() -> None:
    """The channel types and the config fields each takes (secrets marked *)."""
    table = Table("type", "inbound webhook", "config (* secret)")
    for name, adapter in sorted(adapter_types().items()):
        model = adapter.config_model
        secrets = set(model.secret_fields())
        fields = [
            f"{field}{'*' if field in secrets else ''}{'' if info.is_required() else '?'}"
            for field, info in model.model_fields.items()
        ]
        table.add_row(name, "yes" if takes_webhooks(adapter) else "no", ", ".join(fields))
    console.print(table)


@app.command("add")
def add(
    channel_type: str = typer.Argument(..., metavar="TYPE", help="See `nexora channels types`."),
    name: str = typer.Argument(..., help="A name for the channel."),
    agent: str = typer.Option(..., "--agent", help="The agent that answers (id or name)."),
    config: list[str] = typer.Option([], "--config", help="A config field, KEY=VALUE."),
    config_json: str | None = typer.Option(None, "--config-json", help="Config as JSON."),
    unmapped: str = typer.Option("refuse", "--unmapped", help="refuse or guest."),
    guest: str | None = typer.Option(None, "--guest", help="The guest user's id."),
    org: str = ORG,
) -> None:
    """Add a channel; credentials go to the secret store (or name one as secret:NAME)."""
    with reported_errors():
        adapter_class(channel_type)  # an unknown type is refused before anything starts

    async def work(platform: Platform) -> tuple[Channel, str]:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            agent_id = await db.scalar(
                select(AgentRecord.id).where(
                    AgentRecord.org_id == actor.org_id,
                    or_(AgentRecord.id == agent, AgentRecord.name == agent),
                )
            )
            body = ChannelIn.model_validate(
                {
                    "type": channel_type,
                    "name": name,
                    "agent_id": agent_id or agent,
                    "config": _config(config, config_json),
                    "unmapped": unmapped,
                    "guest_user_id": guest,
                }
            )
            channel = await platform.channels.store.create(db, actor, body)
        _audit(platform, "channel.create", actor, channel.id, type=channel.type, name=name)
        return channel, _base_url(platform)

    channel, base = run_local(work)
    shown = view(channel, base)
    console.print(f"added {shown.name} ({shown.id})")
    if shown.connection:
        console.print("holds a connection: the server's workers connect it")
    elif shown.inbound_url:
        console.print(f"inbound URL: {shown.inbound_url}", soft_wrap=True)


@app.command("health")
def health(channel: str = CHANNEL, org: str = ORG) -> None:
    """Connection, last event, last error and backlog of one channel."""

    async def work(platform: Platform) -> Health:
        actor, found = await _target(platform, org, channel)
        async with platform.db.session() as db:
            return await platform.channels.health(db, actor, found.id)

    found = run_local(work)
    connected = {None: "- (webhook only)", True: "yes", False: "no"}[found.connected]
    console.print(
        f"connected: {connected}" + (f" (held by {found.held_by})" if found.held_by else "")
    )
    console.print(f"last event: {found.last_event_at or '-'}")
    console.print(
        f"last error: {found.last_error or '-'}"
        + (f" at {found.last_error_at}" if found.last_error_at else "")
    )
    console.print("backlog: " + ", ".join(f"{k} {v}" for k, v in found.backlog.items()))


@app.command("restart")
def restart(channel: str = CHANNEL, org: str = ORG) -> None:
    """Rebuild one channel's adapter and connection, wherever it is held; no other."""

    async def work(platform: Platform) -> Channel:
        actor, found = await _target(platform, org, channel)
        async with platform.db.session() as db:
            restarted = await platform.channels.restart(db, actor, found.id)
        _audit(platform, "channel.restart", actor, restarted.id)
        return restarted

    console.print(f"restarting {run_local(work).name}")


@app.command("delete")
def delete(channel: str = CHANNEL, org: str = ORG) -> None:
    """Delete a channel (its pending replies are dropped)."""

    async def work(platform: Platform) -> Channel:
        actor, found = await _target(platform, org, channel)
        async with platform.db.session() as db:
            deleted = await platform.channels.store.delete(db, actor, found.id)
        _audit(platform, "channel.delete", actor, deleted.id, name=deleted.name)
        return deleted

    console.print(f"deleted {run_local(work).name}")


@app.command("map")
def map_(
    channel: str = CHANNEL,
    external_id: str = typer.Argument(..., help="The user's id on the platform."),
    user: str = typer.Argument(..., help="The Nexora user (username or id)."),
    org: str = ORG,
) -> None:
    """Map a platform user to a Nexora user: they then act as that user there."""

    async def work(platform: Platform) -> str:
        actor, found = await _target(platform, org, channel)
        async with platform.db.session() as db:
            user_id = await db.scalar(
                select(User.id).where(or_(User.id == user, User.username == user))
            )
            identity = await map_identity(db, actor, found, external_id, user_id or user)
        _audit(platform, "channel.identity.map", actor, found.id, external_id=external_id)
        return identity.user_id

    user_id = run_local(work)
    console.print(f"{external_id} acts as {user} ({user_id})")


@app.command("pair")
def pair(channel: str = CHANNEL, org: str = ORG) -> None:
    """A one-time code for the org's first admin to send from the chat app (`pair CODE`)."""

    async def work(platform: Platform) -> str:
        actor, found = await _target(platform, org, channel)
        async with platform.db.session() as db:
            code, _ = await new_pairing_code(db, actor, found)
        _audit(platform, "channel.pairing_code", actor, found.id)
        return code

    console.print(f"send this from the chat app within 15 minutes: pair {run_local(work)}")
