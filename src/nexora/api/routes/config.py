"""Runtime configuration of the caller's org, for its admins; every change is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict

from nexora.api.deps import AdminActor, DbSession, PlatformDep, RequestInfo
from nexora.governance import runtime_config
from nexora.governance.runtime_config import ConfigEntry

router = APIRouter(prefix="/api/admin/config", tags=["config"])

ConfigKeyName = Annotated[str, Path(min_length=1, max_length=100)]


class ConfigValue(BaseModel):
    """The body of `PUT /api/admin/config/{key}`; the key's declared type checks `value`."""

    model_config = ConfigDict(extra="forbid")

    value: Any


class ConfigEntryPublic(BaseModel):
    key: str
    value: Any
    default: Any
    is_default: bool
    description: str
    json_schema: dict[str, Any]
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, entry: ConfigEntry) -> ConfigEntryPublic:
        return cls.model_validate(entry, from_attributes=True)


@router.get("", operation_id="listConfig")
async def list_config(actor: AdminActor, db: DbSession) -> list[ConfigEntryPublic]:
    """Every declared key with the org's effective value, its default and description."""
    return [ConfigEntryPublic.of(e) for e in await runtime_config.list_entries(db, actor.org_id)]


@router.get("/{key}", operation_id="getConfig")
async def get_config(key: ConfigKeyName, actor: AdminActor, db: DbSession) -> ConfigEntryPublic:
    return ConfigEntryPublic.of(await runtime_config.get_entry(db, actor.org_id, key))


@router.put("/{key}", operation_id="putConfig")
async def put_config(
    key: ConfigKeyName,
    body: ConfigValue,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> ConfigEntryPublic:
    change = await runtime_config.set_value(db, actor.org_id, key, body.value, actor.user_id)
    platform.audit.record(
        "config.update",
        actor=actor,
        resource_type="config",
        resource_id=key,
        request=info,
        detail={"key": key, "old": change.old, "new": change.entry.value},
    )
    return ConfigEntryPublic.of(change.entry)


@router.delete("/{key}", status_code=204, operation_id="deleteConfig")
async def delete_config(
    key: ConfigKeyName, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    """Restores the key's default; deleting a key the org never set changes nothing."""
    change = await runtime_config.reset_value(db, actor.org_id, key)
    if change.changed:
        platform.audit.record(
            "config.delete",
            actor=actor,
            resource_type="config",
            resource_id=key,
            request=info,
            detail={"key": key, "old": change.old, "new": change.entry.value},
        )
    return Response(status_code=204)
