"""What routes declare they need, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.auth.policy import Access, allows, policy_for
from nexora.errors import Forbidden, Unauthorized
from nexora.governance.audit import RequestContext
from nexora.platform import Platform

_bearer = HTTPBearer(auto_error=False, description="JWT access token or `nxk_` API key")


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


async def get_db(platform: PlatformDep) -> AsyncIterator[AsyncSession]:
    async with platform.db.session() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_db)]


async def authenticate(
    request: Request,
    platform: PlatformDep,
    db: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    cached: Actor | None = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("authentication required: send 'Authorization: Bearer <token>'")
    actor = await platform.auth.authenticate(db, credentials.credentials)
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(authenticate)]


def require_admin(actor: CurrentActor) -> Actor:
    if not actor.is_admin:
        raise Forbidden("this action needs the admin role")
    return actor


async def enforce_route_policy(
    request: Request,
    platform: PlatformDep,
    db: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Applied to every route: the role the route's declared policy requires, or a refusal."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    access = policy_for(request.method, path) if path else None
    if access is None:
        raise Forbidden("this route has no declared access policy")
    if access is Access.PUBLIC:
        return
    actor = await authenticate(request, platform, db, credentials)
    if not allows(access, actor.role):
        raise Forbidden(f"this action needs the {access.minimum_role} role")


AdminActor = Annotated[Actor, Depends(require_admin)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientIp = Annotated[str, Depends(client_ip)]


def request_context(request: Request) -> RequestContext:
    return RequestContext(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


RequestInfo = Annotated[RequestContext, Depends(request_context)]
