"""Channels as configured by admins: validation, credentials into the secret store, and the
view the API shows (credentials as set or unset, never their values)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.registry import AgentRegistry
from nexora.auth.actor import Actor
from nexora.channels.adapters import adapter_class, parse_config
from nexora.channels.base import Adapter, AnyAdapter
from nexora.errors import InvalidInput, NotFound
from nexora.governance.secret_store import SecretOwner, SecretStore
from nexora.plugins.api import SEPARATOR
from nexora.plugins.host import PluginHost
from nexora.security.net_guard import check_url
from nexora.storage.models import Channel, ChannelInbox, ChannelOutbox, Membership, Secret

# A credential given as "secret:NAME" names an existing org secret instead of a value.
_SECRET_REFERENCE = re.compile(r"^secret:([A-Za-z0-9_.-]{1,100})$")
_URL_FIELDS = ("api_base", "callback_url", "url")
MAX_CONFIG_BYTES = 16_000

Unmapped = Literal["refuse", "guest"]


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    agent_id: str = Field(min_length=1, max_length=64)
    config: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    unmapped: Unmapped = "refuse"
    guest_user_id: str | None = None
    require_mention: bool = True


class ChannelPatch(BaseModel):
    """Fields left out are kept; `config` keys given replace the stored ones (credentials too)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    )
    agent_id: str | None = Field(default=None, min_length=1, max_length=64)
    config: dict[str, Any] | None = None
    enabled: bool | None = None
    unmapped: Unmapped | None = None
    guest_user_id: str | None = None
    require_mention: bool | None = None


class ChannelView(BaseModel):
    id: str
    type: str
    name: str
    agent_id: str
    enabled: bool
    unmapped: str
    guest_user_id: str | None
    require_mention: bool
    config: dict[str, Any]
    credentials: dict[str, bool]  # each credential field: whether it is set
    inbound_url: str | None  # where the platform posts, for platforms that call in
    connection: bool  # whether the channel holds a connection instead (or as well)
    created_at: datetime
    updated_at: datetime


def takes_webhooks(adapter: type[AnyAdapter]) -> bool:
    return adapter.handle_webhook is not Adapter.handle_webhook


def view(channel: Channel, base_url: str) -> ChannelView:
    adapter = adapter_class(channel.type)
    secret_fields = adapter.config_model.secret_fields()
    uses_connection = adapter.listen is not Adapter.listen and _connects(channel)
    return ChannelView(
        id=channel.id,
        type=channel.type,
        name=channel.name,
        agent_id=channel.agent_id,
        enabled=channel.enabled,
        unmapped=channel.unmapped,
        guest_user_id=channel.guest_user_id,
        require_mention=channel.require_mention,
        config=dict(channel.config),
        credentials={name: name in channel.secrets for name in secret_fields},
        inbound_url=(
            f"{base_url.rstrip('/')}/api/channels/{channel.id}/inbound"
            if takes_webhooks(adapter)
            else None
        ),
        connection=uses_connection,
        created_at=channel.created_at,
        updated_at=channel.updated_at,
    )


def _connects(channel: Channel) -> bool:
    mode = channel.config.get("mode")
    return mode is None or mode not in ("webhook", "events")


class ChannelStore:
    def __init__(
        self,
        agents: AgentRegistry,
        secret_store: SecretStore,
        plugins: PluginHost,
        allowed_hosts: frozenset[str],
    ) -> None:
        self.agents = agents
        self.plugins = plugins
        self.secret_store = secret_store
        self.allowed_hosts = allowed_hosts

    async def get(self, db: AsyncSession, actor: Actor, channel_id: str) -> Channel:
        channel = await db.get(Channel, channel_id)
        if channel is None or channel.org_id != actor.org_id:
            raise NotFound("channel not found")
        return channel

    async def list(self, db: AsyncSession, actor: Actor) -> list[Channel]:
        rows = await db.scalars(
            select(Channel).where(Channel.org_id == actor.org_id).order_by(Channel.name)
        )
        return list(rows)

    async def create(self, db: AsyncSession, actor: Actor, body: ChannelIn) -> Channel:
        adapter_class(body.type)
        if SEPARATOR in body.type and body.type not in await self.plugins.channels_for(
            db, actor.org_id
        ):
            raise InvalidInput(f"type: the plugin of {body.type!r} is not enabled here")
        await self._check_refs(db, actor, body.agent_id, body.unmapped, body.guest_user_id)
        await self._check_name_free(db, actor.org_id, body.name)
        channel = Channel(
            org_id=actor.org_id,
            type=body.type,
            name=body.name,
            agent_id=(await self.agents.find(db, actor, body.agent_id)).record.id,
            enabled=body.enabled,
            unmapped=body.unmapped,
            guest_user_id=body.guest_user_id,
            require_mention=body.require_mention,
            created_by=actor.author_id,
            config={},
            secrets={},
        )
        db.add(channel)
        await db.flush()
        await self._configure(db, channel, body.config, replace=True)
        await db.commit()
        return channel

    async def update(
        self, db: AsyncSession, actor: Actor, channel_id: str, patch: ChannelPatch
    ) -> Channel:
        channel = await self.get(db, actor, channel_id)
        given = patch.model_fields_set
        if "name" in given and patch.name is not None and patch.name != channel.name:
            await self._check_name_free(db, actor.org_id, patch.name)
            channel.name = patch.name
        if "agent_id" in given and patch.agent_id is not None:
            channel.agent_id = (await self.agents.find(db, actor, patch.agent_id)).record.id
        for field_name in ("enabled", "unmapped", "require_mention"):
            if field_name in given and getattr(patch, field_name) is not None:
                setattr(channel, field_name, getattr(patch, field_name))
        if "guest_user_id" in given:
            channel.guest_user_id = patch.guest_user_id
        await self._check_refs(
            db,
            actor,
            channel.agent_id,
            channel.unmapped,
            channel.guest_user_id,
        )
        if patch.config is not None:
            await self._configure(db, channel, patch.config, replace=False)
        channel.generation += 1  # live adapters and connections pick the change up
        await db.commit()
        return channel

    async def delete(self, db: AsyncSession, actor: Actor, channel_id: str) -> Channel:
        channel = await self.get(db, actor, channel_id)
        owned = [name for name in channel.secrets.values() if name.startswith(_owned(channel))]
        if owned:
            for row in await db.scalars(
                select(Secret).where(
                    Secret.org_id == channel.org_id,
                    Secret.user_id.is_(None),
                    Secret.name.in_(owned),
                )
            ):
                await db.delete(row)
        await db.delete(channel)
        await db.commit()
        return channel

    async def backlog(self, db: AsyncSession, channel_id: str) -> dict[str, int]:
        inbound = await db.scalar(
            select(func.count())
            .select_from(ChannelInbox)
            .where(
                ChannelInbox.channel_id == channel_id,
                ChannelInbox.status.in_(("received", "starting", "running")),
            )
        )
        outbound = await db.scalar(
            select(func.count())
            .select_from(ChannelOutbox)
            .where(
                ChannelOutbox.channel_id == channel_id,
                ChannelOutbox.status.in_(("pending", "sending")),
            )
        )
        failed = await db.scalar(
            select(func.count())
            .select_from(ChannelOutbox)
            .where(ChannelOutbox.channel_id == channel_id, ChannelOutbox.status == "failed")
        )
        return {
            "inbound": int(inbound or 0),
            "outbound": int(outbound or 0),
            "failed": int(failed or 0),
        }

    async def _configure(
        self, db: AsyncSession, channel: Channel, given: dict[str, Any], *, replace: bool
    ) -> None:
        if len(repr(given)) > MAX_CONFIG_BYTES:
            raise InvalidInput(f"config: at most {MAX_CONFIG_BYTES} bytes")
        model = adapter_class(channel.type).config_model
        secret_fields = set(model.secret_fields())
        plain = {} if replace else dict(channel.config)
        secrets = {} if replace else dict(channel.secrets)
        new_values: dict[str, str] = {}
        for key, value in given.items():
            if key not in secret_fields:
                plain[key] = value
                continue
            if value in (None, ""):
                secrets.pop(key, None)
                continue
            if not isinstance(value, str):
                raise InvalidInput(f"config.{key}: a credential is a string")
            reference = _SECRET_REFERENCE.match(value)
            if reference is not None:
                if not await self.secret_store.resolve(db, channel.org_id, reference[1]):
                    raise InvalidInput(f"config.{key}: no organization secret {reference[1]!r}")
                secrets[key] = reference[1]
            else:
                secrets[key] = f"{_owned(channel)}{key}"
                new_values[secrets[key]] = value
        # Validated whole, with the credentials it will run with.
        resolved = await self.secret_store.resolve_many(
            db, channel.org_id, [n for n in secrets.values() if n not in new_values]
        )
        candidate: dict[str, Any] = dict(plain)
        for key, name in secrets.items():
            value = new_values.get(name, resolved.get(name))
            if value is not None:
                candidate[key] = SecretStr(value)
        parsed = parse_config(channel.type, candidate)
        for key in _URL_FIELDS:
            url = getattr(parsed, key, None)
            if isinstance(url, str) and url:
                verdict = check_url(url, self.allowed_hosts)
                if not verdict.allowed:
                    reason = verdict.reasons[0].message if verdict.reasons else url
                    raise InvalidInput(f"config.{key}: {reason}")
        forward = getattr(parsed, "deliver", None)
        if forward is not None:
            target = await db.get(Channel, forward.channel_id)
            if target is None or target.org_id != channel.org_id or target.id == channel.id:
                raise InvalidInput("config.deliver.channel_id: no other channel with this id")
        channel.config = parsed.model_dump(mode="json", exclude=secret_fields)
        channel.secrets = secrets
        owner = SecretOwner(channel.org_id, None)
        for name, value in new_values.items():
            await self.secret_store.put(
                db, owner, name, value, description=f"credential of channel {channel.name}"
            )

    async def _check_refs(
        self,
        db: AsyncSession,
        actor: Actor,
        agent_id: str,
        unmapped: str,
        guest_user_id: str | None,
    ) -> None:
        await self.agents.find(db, actor, agent_id)
        if guest_user_id is not None:
            member = await db.scalar(
                select(Membership.id).where(
                    Membership.org_id == actor.org_id, Membership.user_id == guest_user_id
                )
            )
            if member is None:
                raise InvalidInput("guest_user_id: no such user in this organization")
        if unmapped == "guest" and guest_user_id is None:
            raise InvalidInput("guest_user_id: required when unmapped users are guests")

    async def _check_name_free(self, db: AsyncSession, org_id: str, name: str) -> None:
        taken = await db.scalar(
            select(Channel.id).where(Channel.org_id == org_id, Channel.name == name)
        )
        if taken is not None:
            raise InvalidInput(f"name: a channel named {name!r} exists")


def _owned(channel: Channel) -> str:
    """The prefix of the org secrets this channel created (and deletes with itself)."""
    return f"channel-{channel.id}-"
