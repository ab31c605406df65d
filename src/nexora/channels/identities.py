"""Who a platform user is in Nexora: mapped by an admin, or linked by a one-time pairing code
the user creates in the console and sends from the chat app."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import InvalidInput, NotFound
from nexora.storage.base import utcnow
from nexora.storage.models import Channel, ChannelIdentity, ChannelPairing, Membership, User

PAIRING_TTL = timedelta(minutes=15)
# No 0/O or 1/I: people type these codes on phones.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8
PAIRING_COMMAND = re.compile(r"^\s*/?(?:pair|配对)\s+([A-Za-z0-9]{8})\s*$", re.IGNORECASE)


def _hash(code: str) -> str:
    return hashlib.sha256(code.upper().encode()).hexdigest()


async def map_identity(
    db: AsyncSession, actor: Actor, channel: Channel, external_id: str, user_id: str
) -> ChannelIdentity:
    """Maps (or re-maps) a platform user to a member of the channel's org."""
    member = await db.scalar(
        select(Membership.id).where(
            Membership.org_id == channel.org_id, Membership.user_id == user_id
        )
    )
    if member is None:
        raise NotFound(f"user {user_id!r} not found in this organization")
    identity = await db.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel_id == channel.id, ChannelIdentity.external_id == external_id
        )
    )
    if identity is None:
        identity = ChannelIdentity(
            org_id=channel.org_id, channel_id=channel.id, external_id=external_id
        )
        db.add(identity)
    identity.user_id = user_id
    identity.via = "admin"
    await db.commit()
    return identity


async def identities(db: AsyncSession, channel: Channel) -> list[tuple[ChannelIdentity, str]]:
    rows = await db.execute(
        select(ChannelIdentity, User.username)
        .join(User, User.id == ChannelIdentity.user_id)
        .where(ChannelIdentity.channel_id == channel.id)
        .order_by(ChannelIdentity.created_at)
    )
    return [(identity, username) for identity, username in rows]


async def unmap(db: AsyncSession, channel: Channel, identity_id: str) -> ChannelIdentity:
    identity = await db.get(ChannelIdentity, identity_id)
    if identity is None or identity.channel_id != channel.id:
        raise NotFound("identity not found")
    await db.delete(identity)
    await db.commit()
    return identity


async def new_pairing_code(
    db: AsyncSession, actor: Actor, channel: Channel
) -> tuple[str, ChannelPairing]:
    """A code the actor sends once from the chat app to be known there as themself."""
    if actor.org_id != channel.org_id:
        raise InvalidInput("pairing: the channel is not in your organization")
    code = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
    pairing = ChannelPairing(
        org_id=channel.org_id,
        channel_id=channel.id,
        user_id=actor.user_id,
        code_hash=_hash(code),
        expires_at=utcnow() + PAIRING_TTL,
    )
    db.add(pairing)
    await db.commit()
    return code, pairing


async def redeem(
    db: AsyncSession, channel: Channel, external_id: str, code: str
) -> ChannelIdentity | None:
    """Links `external_id` to the code's user; None for an unknown, used or expired code."""
    now = utcnow()
    pairing = await db.scalar(
        select(ChannelPairing).where(
            ChannelPairing.code_hash == _hash(code),
            ChannelPairing.channel_id == channel.id,
            ChannelPairing.used_at.is_(None),
            ChannelPairing.expires_at > now,
        )
    )
    if pairing is None:
        return None
    used = await db.execute(
        update(ChannelPairing)
        .where(ChannelPairing.id == pairing.id, ChannelPairing.used_at.is_(None))
        .values(used_at=now)
    )
    if getattr(used, "rowcount", 0) != 1:
        return None
    identity = await db.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel_id == channel.id, ChannelIdentity.external_id == external_id
        )
    )
    if identity is None:
        identity = ChannelIdentity(
            org_id=channel.org_id, channel_id=channel.id, external_id=external_id
        )
        db.add(identity)
    identity.user_id = pairing.user_id
    identity.via = "pairing"
    try:
        await db.commit()
    except IntegrityError:
        await db.rollback()
        return None
    return identity


async def user_for(db: AsyncSession, channel: Channel, external_id: str) -> str | None:
    """The Nexora user a platform user acts as: their mapping, else the channel's guest."""
    mapped = await db.scalar(
        select(ChannelIdentity.user_id).where(
            ChannelIdentity.channel_id == channel.id, ChannelIdentity.external_id == external_id
        )
    )
    if mapped is not None:
        return str(mapped)
    if channel.unmapped == "guest":
        return channel.guest_user_id
    return None
