"""Per-org settings admins change at run time, declared once in `REGISTRY`.

Each key has a pydantic type, a default and a description. A row in `runtime_config` exists
only for keys an org has set; deleting it restores the default. Values are stored as the
plain JSON their type dumps to, because other code may read the table directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import InvalidInput, NotFound
from nexora.storage.models import RuntimeConfig
from nexora.tools.policy import RoleRules

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class ConfigKey(Generic[T]):
    """One declared setting; pass it to `get_config` to get a value of type `T`."""

    name: str
    type: Any
    default: T
    description: str
    adapter: TypeAdapter[T] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "adapter", TypeAdapter(self.type))

    def validate(self, value: object) -> T:
        """The typed value, or `InvalidInput` naming the key, the field and the problem.

        Strict: configuration is JSON an admin typed, so "72" is not silently an int."""
        try:
            return self.adapter.validate_python(value, strict=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join([self.name, *(str(part) for part in first["loc"])])
            raise InvalidInput(f"{where}: {first['msg']}") from exc

    def dump(self, value: T) -> Any:
        return self.adapter.dump_python(value, mode="json")


class ModelPrice(BaseModel):
    """What a model costs, in the org's currency per million tokens."""

    model_config = ConfigDict(extra="forbid")

    prompt_per_million: float = Field(ge=0)
    completion_per_million: float = Field(ge=0)


ModelRef = Annotated[str, Field(pattern=r"^[^:\s]+:\S+$", max_length=200)]

MODEL_PRICES: ConfigKey[dict[str, ModelPrice]] = ConfigKey(
    "model_prices",
    dict[Annotated[str, Field(min_length=1, max_length=200)], ModelPrice],
    {},
    "Prices per million prompt and completion tokens, by model, for cost accounting.",
)
APPROVAL_EXPIRY_HOURS: ConfigKey[int] = ConfigKey(
    "approval_expiry_hours",
    Annotated[int, Field(ge=1, le=720)],
    72,
    "Hours after which a pending approval expires (1-720).",
)
AUDIT_RETENTION_DAYS: ConfigKey[int | None] = ConfigKey(
    "audit_retention_days",
    Annotated[int, Field(ge=30)] | None,
    None,
    "Days audit events are kept (at least 30); null keeps them forever.",
)
# The most any org may allow; the body size limit lets upload routes through up to this.
MAX_UPLOAD_MB_CEILING = 1024
MAX_UPLOAD_MB: ConfigKey[int] = ConfigKey(
    "max_upload_mb",
    Annotated[int, Field(ge=1, le=MAX_UPLOAD_MB_CEILING)],
    25,
    "Largest file a user may upload, in MB (1-1024).",
)
DEFAULT_AGENT_MODEL: ConfigKey[str | None] = ConfigKey(
    "default_agent_model",
    ModelRef | None,
    None,
    "Model for agents that name none, as 'provider:model'; null uses the server's default.",
)
RoleName = Literal["viewer", "operator", "admin"]
TOOL_RULES_BY_ROLE: ConfigKey[dict[RoleName, RoleRules]] = ConfigKey(
    "tool_rules_by_role",
    dict[RoleName, RoleRules],
    {},
    "Tool rules by the caller's role: {role: {only, ask, block}} lists of tool name patterns.",
)
APPROVAL_WAIT_MINUTES: ConfigKey[int] = ConfigKey(
    "tool_approval_minutes",
    Annotated[int, Field(ge=1, le=10_080)],
    60,
    "Minutes a tool call waits for a human before it is refused (1-10080).",
)

REGISTRY: dict[str, ConfigKey[Any]] = {
    key.name: key
    for key in (
        MODEL_PRICES,
        APPROVAL_EXPIRY_HOURS,
        AUDIT_RETENTION_DAYS,
        MAX_UPLOAD_MB,
        DEFAULT_AGENT_MODEL,
        TOOL_RULES_BY_ROLE,
        APPROVAL_WAIT_MINUTES,
    )
}


def declared(name: str) -> ConfigKey[Any]:
    key = REGISTRY.get(name)
    if key is None:
        raise NotFound(f"unknown configuration key {name!r}; known keys: {', '.join(REGISTRY)}")
    return key


@overload
async def get_config(db: AsyncSession, org_id: str, key: ConfigKey[T]) -> T: ...
@overload
async def get_config(db: AsyncSession, org_id: str, key: str) -> Any: ...
async def get_config(db: AsyncSession, org_id: str, key: ConfigKey[Any] | str) -> Any:
    """The org's value for `key`, or its default; pass the `ConfigKey` for a typed result."""
    declared_key = declared(key) if isinstance(key, str) else key
    row = await _row(db, org_id, declared_key.name)
    return _stored_or_default(declared_key, row)


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    """One key as an admin sees it: its effective value, and whether the org set it."""

    key: str
    value: Any
    default: Any
    is_default: bool
    description: str
    json_schema: dict[str, Any]
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class ConfigChange:
    entry: ConfigEntry
    old: Any
    changed: bool


async def list_entries(db: AsyncSession, org_id: str) -> list[ConfigEntry]:
    rows = {
        row.key: row
        for row in await db.scalars(select(RuntimeConfig).where(RuntimeConfig.org_id == org_id))
    }
    return [_entry(key, rows.get(name)) for name, key in REGISTRY.items()]


async def get_entry(db: AsyncSession, org_id: str, name: str) -> ConfigEntry:
    key = declared(name)
    return _entry(key, await _row(db, org_id, name))


async def set_value(
    db: AsyncSession, org_id: str, name: str, value: object, user_id: str | None
) -> ConfigChange:
    """Validates and stores `value` for the org; the change carries the old value to audit."""
    key = declared(name)
    stored = key.dump(key.validate(value))
    try:
        return await _store(db, org_id, key, stored, user_id)
    except IntegrityError:
        # Another request created the row between our read and our insert: update that one.
        await db.rollback()
        return await _store(db, org_id, key, stored, user_id)


async def _store(
    db: AsyncSession, org_id: str, key: ConfigKey[Any], stored: Any, user_id: str | None
) -> ConfigChange:
    row = await _row(db, org_id, key.name)
    old = key.dump(_stored_or_default(key, row))
    if row is None:
        row = RuntimeConfig(org_id=org_id, key=key.name)
        db.add(row)
    row.value = stored
    row.updated_by = user_id
    await db.commit()
    return ConfigChange(_entry(key, row), old, changed=old != stored)


async def reset_value(db: AsyncSession, org_id: str, name: str) -> ConfigChange:
    """Deletes the org's value so the default applies again."""
    key = declared(name)
    row = await _row(db, org_id, name)
    old = key.dump(_stored_or_default(key, row))
    if row is not None:
        await db.delete(row)
        await db.commit()
    return ConfigChange(_entry(key, None), old, changed=row is not None)


async def _row(db: AsyncSession, org_id: str, name: str) -> RuntimeConfig | None:
    return await db.scalar(
        select(RuntimeConfig).where(RuntimeConfig.org_id == org_id, RuntimeConfig.key == name)
    )


def _stored_or_default(key: ConfigKey[T], row: RuntimeConfig | None) -> T:
    if row is None:
        return key.default
    try:
        return key.validate(row.value)
    except InvalidInput as exc:
        # The table is also written outside this module, and declarations change; a bad
        # stored value must not break every run that reads it.
        log.warning("ignoring stored %s of org %s: %s", key.name, row.org_id, exc.detail)
        return key.default


def _entry(key: ConfigKey[Any], row: RuntimeConfig | None) -> ConfigEntry:
    return ConfigEntry(
        key=key.name,
        value=key.dump(_stored_or_default(key, row)),
        default=key.dump(key.default),
        is_default=row is None,
        description=key.description,
        json_schema=key.adapter.json_schema(),
        updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None,
    )
