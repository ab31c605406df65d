"""Login, refresh, logout and API keys: turns credentials into an `Actor`."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor, Role
from nexora.auth.passwords import verify_password
from nexora.auth.throttle import LoginThrottle
from nexora.auth.tokens import AccessClaims, TokenIssuer, digest, new_refresh_token
from nexora.errors import NotFound, Unauthorized
from nexora.storage.models import ApiKey, AuthSession, Membership, User

API_KEY_PREFIX = "nxk_"


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    record: ApiKey
    key: str


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they are stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class AuthService:
    def __init__(self, issuer: TokenIssuer, throttle: LoginThrottle, refresh_ttl: int) -> None:
        self.issuer = issuer
        self.throttle = throttle
        self.refresh_ttl = refresh_ttl

    async def login(
        self, db: AsyncSession, username: str, password: str, client_ip: str, org_id: str | None
    ) -> tuple[TokenPair, Actor]:
        user_key, ip_key = f"user:{username.lower()}", f"ip:{client_ip}"
        self.throttle.check(user_key, ip_key)
        user = await db.scalar(select(User).where(User.username == username))
        # argon2 is deliberately slow: keep it off the event loop.
        valid = await asyncio.to_thread(
            verify_password, user.password_hash if user else None, password
        )
        if not valid or user is None:
            self.throttle.record_failure(user_key, ip_key)
            raise Unauthorized("invalid username or password")
        if user.disabled:
            raise Unauthorized("this account is disabled")
        membership = await self._membership(db, user.id, org_id)
        self.throttle.reset(user_key)
        now = datetime.now(UTC)
        refresh = new_refresh_token()
        login = AuthSession(
            user_id=user.id,
            org_id=membership.org_id,
            refresh_hash=digest(refresh),
            created_at=now,
            expires_at=now + timedelta(seconds=self.refresh_ttl),
        )
        db.add(login)
        await db.commit()
        access = self.issuer.issue(AccessClaims(user.id, membership.org_id, login.id), now)
        actor = _actor(user, membership, "token", login.id)
        return TokenPair(access, refresh, self.issuer.ttl_seconds), actor

    async def _membership(self, db: AsyncSession, user_id: str, org_id: str | None) -> Membership:
        query = select(Membership).where(Membership.user_id == user_id)
        if org_id is not None:
            query = query.where(Membership.org_id == org_id)
        membership = await db.scalar(query.order_by(Membership.created_at).limit(1))
        if membership is None:
            raise Unauthorized("this account belongs to no such organization")
        return membership

    async def refresh(self, db: AsyncSession, refresh_token: str) -> tuple[TokenPair, Actor]:
        """Rotates the refresh token: each one works once."""
        login = await db.scalar(
            select(AuthSession).where(AuthSession.refresh_hash == digest(refresh_token))
        )
        now = datetime.now(UTC)
        if login is None or login.revoked_at is not None or _aware(login.expires_at) <= now:
            raise Unauthorized("refresh token is invalid or expired: log in again")
        actor = await self._resolve(db, login.user_id, login.org_id, "token", login.id)
        refresh = new_refresh_token()
        login.refresh_hash = digest(refresh)
        await db.commit()
        access = self.issuer.issue(AccessClaims(login.user_id, login.org_id, login.id), now)
        return TokenPair(access, refresh, self.issuer.ttl_seconds), actor

    async def logout(self, db: AsyncSession, actor: Actor) -> None:
        if actor.session_id is None:
            return
        await db.execute(
            update(AuthSession)
            .where(AuthSession.id == actor.session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        await db.commit()

    async def authenticate(self, db: AsyncSession, bearer: str) -> Actor:
        if bearer.startswith(API_KEY_PREFIX):
            return await self._authenticate_api_key(db, bearer)
        claims = self.issuer.verify(bearer)
        # One round trip per request: the login, the user and the membership together.
        row = (
            await db.execute(
                select(User, Membership, AuthSession.revoked_at)
                .join(Membership, Membership.user_id == User.id)
                .join(AuthSession, AuthSession.user_id == User.id)
                .where(
                    AuthSession.id == claims.session_id,
                    User.id == claims.user_id,
                    Membership.org_id == claims.org_id,
                )
            )
        ).first()
        if row is None or row[2] is not None:
            raise Unauthorized("this session has ended: log in again")
        user, membership, _ = row
        if user.disabled:
            raise Unauthorized("this account is disabled")
        return _actor(user, membership, "token", claims.session_id)

    async def _authenticate_api_key(self, db: AsyncSession, key: str) -> Actor:
        record = await db.scalar(select(ApiKey).where(ApiKey.key_hash == digest(key)))
        now = datetime.now(UTC)
        if record is None or record.revoked_at is not None:
            raise Unauthorized("invalid API key")
        if record.expires_at is not None and _aware(record.expires_at) <= now:
            raise Unauthorized("API key expired")
        actor = await self._resolve(db, record.user_id, record.org_id, "api_key", None)
        # Coarse last-use stamps keep a hot key from writing on every request.
        if record.last_used_at is None or now - _aware(record.last_used_at) > timedelta(minutes=1):
            record.last_used_at = now
            await db.commit()
        return actor

    async def _resolve(
        self, db: AsyncSession, user_id: str, org_id: str, via: str, session_id: str | None
    ) -> Actor:
        row = (
            await db.execute(
                select(User, Membership)
                .join(Membership, Membership.user_id == User.id)
                .where(User.id == user_id, Membership.org_id == org_id)
            )
        ).first()
        if row is None:
            raise Unauthorized("this account no longer has access to the organization")
        user, membership = row
        if user.disabled:
            raise Unauthorized("this account is disabled")
        return _actor(user, membership, via, session_id)

    async def create_api_key(
        self, db: AsyncSession, actor: Actor, name: str, expires_at: datetime | None
    ) -> IssuedApiKey:
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        record = ApiKey(
            user_id=actor.user_id,
            org_id=actor.org_id,
            name=name,
            prefix=key[:12],
            key_hash=digest(key),
            created_at=datetime.now(UTC),
            expires_at=expires_at,
        )
        db.add(record)
        await db.commit()
        return IssuedApiKey(record, key)

    async def list_api_keys(self, db: AsyncSession, actor: Actor) -> list[ApiKey]:
        rows = await db.scalars(
            select(ApiKey)
            .where(ApiKey.user_id == actor.user_id, ApiKey.org_id == actor.org_id)
            .order_by(ApiKey.created_at)
        )
        return list(rows)

    async def revoke_api_key(self, db: AsyncSession, actor: Actor, key_id: str) -> None:
        record = await db.get(ApiKey, key_id)
        if record is None or record.user_id != actor.user_id or record.org_id != actor.org_id:
            raise NotFound("API key not found")
        if record.revoked_at is None:
            record.revoked_at = datetime.now(UTC)
            await db.commit()


def _actor(user: User, membership: Membership, via: str, session_id: str | None) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        org_id=membership.org_id,
        role=Role(membership.role),
        platform_admin=user.platform_admin,
        via=via,  # type: ignore[arg-type]
        session_id=session_id,
    )
