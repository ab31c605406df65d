from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from nexora.api.deps import ClientIp, CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.auth.service import TokenPair
from nexora.errors import NexoraError
from nexora.storage.models import ApiKey
from nexora.tenancy.users import change_own_password

router = APIRouter(prefix="/api", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    org_id: str | None = Field(default=None, max_length=36)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int
    refresh_token: str


class Me(BaseModel):
    user_id: str
    username: str
    org_id: str
    role: str
    platform_admin: bool
    auth: str


class PasswordChange(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    expires_at: datetime | None = None


class ApiKeyPublic(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyPublic:
        return cls.model_validate(key, from_attributes=True)


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="Shown once; store it now.")


def _tokens(pair: TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post("/auth/login", operation_id="login")
async def login(
    body: LoginRequest, db: DbSession, platform: PlatformDep, ip: ClientIp, info: RequestInfo
) -> TokenResponse:
    try:
        pair, actor = await platform.auth.login(db, body.username, body.password, ip, body.org_id)
    except NexoraError as exc:
        platform.audit.record(
            "auth.login",
            actor=None,
            resource_type="user",
            resource_id=body.username,
            status="denied" if exc.status_code == 429 else "failure",
            request=info,
            detail={"username": body.username, "reason": exc.detail},
        )
        raise
    platform.audit.record(
        "auth.login", actor=actor, resource_type="user", resource_id=actor.user_id, request=info
    )
    return _tokens(pair)


@router.post("/auth/refresh", operation_id="refresh")
async def refresh(
    body: RefreshRequest, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> TokenResponse:
    try:
        pair, actor = await platform.auth.refresh(db, body.refresh_token)
    except NexoraError as exc:
        platform.audit.record(
            "auth.refresh",
            actor=None,
            status="failure",
            request=info,
            detail={"reason": exc.detail},
        )
        raise
    platform.audit.record(
        "auth.refresh",
        actor=actor,
        resource_type="user",
        resource_id=actor.user_id,
        request=info,
    )
    return _tokens(pair)


@router.post("/auth/logout", status_code=204, operation_id="logout")
async def logout(
    actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    await platform.auth.logout(db, actor)
    platform.audit.record(
        "auth.logout", actor=actor, resource_type="user", resource_id=actor.user_id, request=info
    )
    return Response(status_code=204)


@router.get("/auth/me", operation_id="me")
async def me(actor: CurrentActor) -> Me:
    return Me(
        user_id=actor.user_id,
        username=actor.username,
        org_id=actor.org_id,
        role=actor.role.value,
        platform_admin=actor.platform_admin,
        auth=actor.via,
    )


@router.put("/auth/password", status_code=204, operation_id="changePassword")
async def change_password(
    body: PasswordChange,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> Response:
    await change_own_password(db, actor, body.password)
    platform.audit.record(
        "user.password_change",
        actor=actor,
        resource_type="user",
        resource_id=actor.user_id,
        request=info,
    )
    return Response(status_code=204)


@router.get("/api-keys", operation_id="listApiKeys")
async def list_api_keys(
    actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[ApiKeyPublic]:
    return [ApiKeyPublic.of(k) for k in await platform.auth.list_api_keys(db, actor)]


@router.post("/api-keys", status_code=201, operation_id="createApiKey")
async def create_api_key(
    body: ApiKeyCreate, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> ApiKeyCreated:
    issued = await platform.auth.create_api_key(db, actor, body.name, body.expires_at)
    platform.audit.record(
        "api_key.create",
        actor=actor,
        resource_type="api_key",
        resource_id=issued.record.id,
        detail={"name": body.name},
    )
    return ApiKeyCreated(**ApiKeyPublic.of(issued.record).model_dump(), key=issued.key)


@router.delete("/api-keys/{key_id}", status_code=204, operation_id="revokeApiKey")
async def revoke_api_key(
    key_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> Response:
    await platform.auth.revoke_api_key(db, actor, key_id)
    platform.audit.record(
        "api_key.revoke", actor=actor, resource_type="api_key", resource_id=key_id
    )
    return Response(status_code=204)
