"""Channels: agents in chat apps. Admins configure them and map platform users; members get
pairing codes; platforms post to the public inbound URL, verified by each platform's scheme."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from nexora.api.deps import AdminActor, CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.channels import identities
from nexora.channels.base import Adapter, WebhookRequest, adapter_types
from nexora.channels.store import ChannelIn, ChannelPatch, ChannelView, takes_webhooks, view
from nexora.governance.audit import RequestContext
from nexora.platform import Platform

router = APIRouter(prefix="/api/channels", tags=["channels"])


class ChannelType(BaseModel):
    type: str
    config_schema: dict[str, Any]  # JSON Schema of the platform's config
    credentials: list[str]  # config fields kept in the secret store
    webhook: bool  # the platform posts to the inbound URL
    connection: bool  # the channel can hold a connection instead (works behind NAT)
    max_chars: int


class IdentityIn(BaseModel):
    external_id: str = Field(min_length=1, max_length=255)
    user_id: str = Field(min_length=1, max_length=64)


class IdentityView(BaseModel):
    id: str
    external_id: str
    user_id: str
    username: str
    via: str
    created_at: datetime


class PairingCode(BaseModel):
    code: str
    expires_at: datetime
    how: str


class HealthView(BaseModel):
    connected: bool | None
    last_event_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    backlog: dict[str, int]
    held_by: str | None


def _base_url(platform: Platform, request: Request) -> str:
    return platform.settings.public_url or str(request.base_url)


def _audit(
    platform: Platform, action: str, actor: Any, channel_id: str, info: Any, **detail: Any
) -> None:
    platform.audit.record(
        action,
        actor=actor,
        resource_type="channel",
        resource_id=channel_id,
        request=info,
        detail=detail,
    )


@router.post("", status_code=201, operation_id="createChannel")
async def create_channel(
    body: ChannelIn,
    request: Request,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> ChannelView:
    channel = await platform.channels.store.create(db, actor, body)
    _audit(
        platform, "channel.create", actor, channel.id, info, type=channel.type, name=channel.name
    )
    platform.channels.connections.wake()
    return view(channel, _base_url(platform, request))


@router.get("", operation_id="listChannels")
async def list_channels(
    request: Request, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[ChannelView]:
    base = _base_url(platform, request)
    return [view(c, base) for c in await platform.channels.store.list(db, actor)]


@router.get("/types", operation_id="listChannelTypes")
async def list_channel_types(actor: CurrentActor) -> list[ChannelType]:
    """The platforms this server speaks, with what each one's config takes."""
    return [
        ChannelType(
            type=name,
            config_schema=adapter.config_model.model_json_schema(),
            credentials=list(adapter.config_model.secret_fields()),
            webhook=takes_webhooks(adapter),
            connection=adapter.listen is not Adapter.listen,
            max_chars=adapter.max_chars,
        )
        for name, adapter in sorted(adapter_types().items())
    ]


@router.get("/{channel_id}", operation_id="getChannel")
async def get_channel(
    channel_id: str, request: Request, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> ChannelView:
    channel = await platform.channels.store.get(db, actor, channel_id)
    return view(channel, _base_url(platform, request))


@router.put("/{channel_id}", operation_id="updateChannel")
async def update_channel(
    channel_id: str,
    body: ChannelPatch,
    request: Request,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> ChannelView:
    channel = await platform.channels.store.update(db, actor, channel_id, body)
    _audit(
        platform, "channel.update", actor, channel.id, info, fields=sorted(body.model_fields_set)
    )
    platform.channels.connections.wake()
    return view(channel, _base_url(platform, request))


@router.delete("/{channel_id}", status_code=204, operation_id="deleteChannel")
async def delete_channel(
    channel_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    channel = await platform.channels.store.delete(db, actor, channel_id)
    await platform.channels.adapters.forget(channel.id)
    _audit(platform, "channel.delete", actor, channel.id, info, name=channel.name)
    platform.channels.connections.wake()
    return Response(status_code=204)


@router.post("/{channel_id}/restart", operation_id="restartChannel")
async def restart_channel(
    channel_id: str,
    request: Request,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> ChannelView:
    channel = await platform.channels.restart(db, actor, channel_id)
    _audit(platform, "channel.restart", actor, channel.id, info)
    return view(channel, _base_url(platform, request))


@router.get("/{channel_id}/health", operation_id="channelHealth")
async def channel_health(
    channel_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> HealthView:
    health = await platform.channels.health(db, actor, channel_id)
    return HealthView(
        connected=health.connected,
        last_event_at=health.last_event_at,
        last_error=health.last_error,
        last_error_at=health.last_error_at,
        backlog=health.backlog,
        held_by=health.held_by,
    )


@router.get("/{channel_id}/identities", operation_id="listChannelIdentities")
async def list_identities(
    channel_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep
) -> list[IdentityView]:
    channel = await platform.channels.store.get(db, actor, channel_id)
    return [
        IdentityView(
            id=identity.id,
            external_id=identity.external_id,
            user_id=identity.user_id,
            username=username,
            via=identity.via,
            created_at=identity.created_at,
        )
        for identity, username in await identities.identities(db, channel)
    ]


@router.post("/{channel_id}/identities", status_code=201, operation_id="mapChannelIdentity")
async def map_identity(
    channel_id: str,
    body: IdentityIn,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> IdentityView:
    channel = await platform.channels.store.get(db, actor, channel_id)
    identity = await identities.map_identity(db, actor, channel, body.external_id, body.user_id)
    _audit(
        platform,
        "channel.identity.map",
        actor,
        channel.id,
        info,
        external_id=body.external_id,
        user_id=body.user_id,
    )
    username = next(
        name for found, name in await identities.identities(db, channel) if found.id == identity.id
    )
    return IdentityView(
        id=identity.id,
        external_id=identity.external_id,
        user_id=identity.user_id,
        username=username,
        via=identity.via,
        created_at=identity.created_at,
    )


@router.delete(
    "/{channel_id}/identities/{identity_id}", status_code=204, operation_id="unmapChannelIdentity"
)
async def unmap_identity(
    channel_id: str,
    identity_id: str,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> Response:
    channel = await platform.channels.store.get(db, actor, channel_id)
    identity = await identities.unmap(db, channel, identity_id)
    _audit(
        platform,
        "channel.identity.unmap",
        actor,
        channel.id,
        info,
        external_id=identity.external_id,
    )
    return Response(status_code=204)


@router.post("/{channel_id}/pairing-codes", status_code=201, operation_id="createPairingCode")
async def create_pairing_code(
    channel_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> PairingCode:
    channel = await platform.channels.store.get(db, actor, channel_id)
    code, pairing = await identities.new_pairing_code(db, actor, channel)
    _audit(platform, "channel.pairing_code", actor, channel.id, info)
    return PairingCode(
        code=code,
        expires_at=pairing.expires_at,
        how=f"Send `pair {code}` to the bot in {channel.type} once, within 15 minutes.",
    )


@router.post("/{channel_id}/inbound", operation_id="channelInbound")
async def channel_inbound(
    channel_id: str, request: Request, platform: PlatformDep, info: RequestInfo
) -> Response:
    """Where platforms deliver events; no login: each platform's signature or token is checked."""
    return await _inbound(channel_id, request, platform, info)


@router.get("/{channel_id}/inbound", operation_id="channelInboundVerification")
async def channel_inbound_verification(
    channel_id: str, request: Request, platform: PlatformDep, info: RequestInfo
) -> Response:
    """Where platforms that check a callback URL with a GET first (WeCom's echo) verify it."""
    return await _inbound(channel_id, request, platform, info)


async def _inbound(
    channel_id: str, request: Request, platform: Platform, info: RequestContext
) -> Response:
    webhook = WebhookRequest(
        method=request.method,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=await request.body(),
    )
    result = await platform.channels.webhook(channel_id, webhook, info)
    if isinstance(result.body, str):
        return PlainTextResponse(result.body, status_code=result.status)
    return JSONResponse(result.body if result.body is not None else {}, status_code=result.status)
