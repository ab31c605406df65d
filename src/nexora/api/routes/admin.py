"""Organizations and users, for admins."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from nexora.api.deps import AdminActor, DbSession, PlatformDep, RequestInfo
from nexora.auth.actor import Role
from nexora.storage.models import Org
from nexora.tenancy import orgs, users

router = APIRouter(prefix="/api/admin", tags=["admin"])

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}$"


class OrgCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class OrgPublic(BaseModel):
    id: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, org: Org) -> OrgPublic:
        return cls.model_validate(org, from_attributes=True)


class UserCreate(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=1, max_length=1024)
    role: Role = Role.OPERATOR
    org_id: str | None = Field(default=None, max_length=36)


class UserUpdate(BaseModel):
    disabled: bool | None = None
    role: Role | None = None


class PasswordReset(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


class UserPublic(BaseModel):
    id: str
    username: str
    org_id: str
    role: Role
    disabled: bool
    platform_admin: bool
    created_at: datetime

    @classmethod
    def of(cls, found: users.OrgUser) -> UserPublic:
        return cls(
            id=found.user.id,
            username=found.user.username,
            org_id=found.membership.org_id,
            role=Role(found.membership.role),
            disabled=found.user.disabled,
            platform_admin=found.user.platform_admin,
            created_at=found.user.created_at,
        )


@router.post("/orgs", status_code=201, operation_id="createOrg")
async def create_org(
    body: OrgCreate, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> OrgPublic:
    org = await orgs.create_org_as(db, actor, body.name)
    platform.audit.record(
        "org.create",
        actor=actor,
        resource_type="org",
        resource_id=org.id,
        request=info,
        detail={"name": org.name},
    )
    return OrgPublic.of(org)


@router.get("/orgs", operation_id="listOrgs")
async def list_orgs(actor: AdminActor, db: DbSession) -> list[OrgPublic]:
    return [OrgPublic.of(o) for o in await orgs.list_orgs(db, actor)]


@router.post("/users", status_code=201, operation_id="createUser")
async def create_user(
    body: UserCreate, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> UserPublic:
    found = await users.create_user(db, actor, body.username, body.password, body.role, body.org_id)
    platform.audit.record(
        "user.create",
        actor=actor,
        resource_type="user",
        resource_id=found.user.id,
        request=info,
        detail={
            "username": body.username,
            "role": body.role.value,
            "org_id": found.membership.org_id,
        },
    )
    return UserPublic.of(found)


@router.get("/users", operation_id="listUsers")
async def list_users(
    actor: AdminActor, db: DbSession, org_id: str | None = Query(default=None, max_length=36)
) -> list[UserPublic]:
    return [UserPublic.of(u) for u in await users.list_users(db, actor, org_id)]


@router.get("/users/{user_id}", operation_id="getUser")
async def get_user(user_id: str, actor: AdminActor, db: DbSession) -> UserPublic:
    return UserPublic.of(await users.get_user(db, actor, user_id))


@router.patch("/users/{user_id}", operation_id="updateUser")
async def update_user(
    user_id: str,
    body: UserUpdate,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> UserPublic:
    before = await users.get_user(db, actor, user_id)
    old_role, old_disabled = before.membership.role, before.user.disabled
    found = await users.update_user(db, actor, user_id, disabled=body.disabled, role=body.role)
    if body.role is not None and body.role.value != old_role:
        platform.audit.record(
            "user.role_change",
            actor=actor,
            resource_type="user",
            resource_id=user_id,
            request=info,
            detail={"from": old_role, "to": body.role.value},
        )
    if body.disabled is not None and body.disabled != old_disabled:
        platform.audit.record(
            "user.disable" if body.disabled else "user.enable",
            actor=actor,
            resource_type="user",
            resource_id=user_id,
            request=info,
        )
    return UserPublic.of(found)


@router.post("/users/{user_id}/password", status_code=204, operation_id="resetPassword")
async def reset_password(
    user_id: str,
    body: PasswordReset,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> Response:
    await users.reset_password(db, actor, user_id, body.password)
    platform.audit.record(
        "user.password_reset",
        actor=actor,
        resource_type="user",
        resource_id=user_id,
        request=info,
    )
    return Response(status_code=204)


@router.delete("/users/{user_id}", status_code=204, operation_id="deleteUser")
async def delete_user(
    user_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    await users.delete_user(db, actor, user_id)
    platform.audit.record(
        "user.delete", actor=actor, resource_type="user", resource_id=user_id, request=info
    )
    return Response(status_code=204)
