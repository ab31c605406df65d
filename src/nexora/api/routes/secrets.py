"""Secrets: admins manage the org's (and its members'), members manage their own.

No response carries a secret's value, only its mask; audit records name the secret, never
its value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from nexora.api.deps import AdminActor, CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.auth.actor import Actor
from nexora.governance.secret_store import (
    MAX_DESCRIPTION_LENGTH,
    NAME_PATTERN,
    SecretOwner,
    SecretView,
    org_owner,
    personal_owner,
)
from nexora.platform import Platform

admin_router = APIRouter(prefix="/api/admin/secrets", tags=["secrets"])
me_router = APIRouter(prefix="/api/me/secrets", tags=["secrets"])

SecretName = Annotated[str, Path(pattern=NAME_PATTERN)]
UserIdQuery = Annotated[str | None, Query(min_length=1, max_length=36)]


class SecretWrite(BaseModel):
    """The body of `PUT /api/me/secrets/{name}`; `description` omitted keeps the stored one.

    The value's size (at most 64 KB of UTF-8) is checked by the store, for every caller."""

    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_LENGTH)


class OrgSecretWrite(SecretWrite):
    """The body of `PUT /api/admin/secrets/{name}`: org-wide, or a member's with `user_id`."""

    user_id: str | None = Field(default=None, min_length=1, max_length=36)


class SecretPublic(BaseModel):
    name: str
    scope: Literal["org", "user"]
    user_id: str | None
    description: str
    masked_value: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: SecretView) -> SecretPublic:
        return cls.model_validate(view, from_attributes=True)


async def _put(
    platform: Platform,
    db: DbSession,
    actor: Actor,
    info: RequestInfo,
    owner: SecretOwner,
    name: str,
    body: SecretWrite,
) -> SecretPublic:
    change = await platform.secret_store.put(db, owner, name, body.value, body.description)
    platform.audit.record(
        "secret.update",
        actor=actor,
        resource_type="secret",
        resource_id=change.secret_id,
        request=info,
        detail={
            "name": name,
            "scope": owner.scope,
            "user_id": owner.user_id,
            "created": change.created,
        },
    )
    return SecretPublic.of(change.view)


async def _delete(
    platform: Platform,
    db: DbSession,
    actor: Actor,
    info: RequestInfo,
    owner: SecretOwner,
    name: str,
) -> Response:
    secret_id = await platform.secret_store.delete(db, owner, name)
    platform.audit.record(
        "secret.delete",
        actor=actor,
        resource_type="secret",
        resource_id=secret_id,
        request=info,
        detail={"name": name, "scope": owner.scope, "user_id": owner.user_id},
    )
    return Response(status_code=204)


@admin_router.get("", operation_id="listOrgSecrets")
async def list_org_secrets(
    actor: AdminActor, db: DbSession, platform: PlatformDep
) -> list[SecretPublic]:
    """The org's secrets and its members' personal ones, values masked."""
    owner = await org_owner(db, actor)
    return [SecretPublic.of(v) for v in await platform.secret_store.list(db, owner)]


@admin_router.put("/{name}", operation_id="putOrgSecret")
async def put_org_secret(
    name: SecretName,
    body: OrgSecretWrite,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> SecretPublic:
    owner = await org_owner(db, actor, body.user_id)
    return await _put(platform, db, actor, info, owner, name, body)


@admin_router.delete("/{name}", status_code=204, operation_id="deleteOrgSecret")
async def delete_org_secret(
    name: SecretName,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
    user_id: UserIdQuery = None,
) -> Response:
    owner = await org_owner(db, actor, user_id)
    return await _delete(platform, db, actor, info, owner, name)


@me_router.get("", operation_id="listMySecrets")
async def list_my_secrets(
    actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> list[SecretPublic]:
    return [SecretPublic.of(v) for v in await platform.secret_store.list(db, personal_owner(actor))]


@me_router.put("/{name}", operation_id="putMySecret")
async def put_my_secret(
    name: SecretName,
    body: SecretWrite,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> SecretPublic:
    """Sets one of the caller's personal secrets; it wins over the org's of the same name."""
    return await _put(platform, db, actor, info, personal_owner(actor), name, body)


@me_router.delete("/{name}", status_code=204, operation_id="deleteMySecret")
async def delete_my_secret(
    name: SecretName, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    return await _delete(platform, db, actor, info, personal_owner(actor), name)
