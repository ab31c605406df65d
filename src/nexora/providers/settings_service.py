"""An org's provider settings, managed by its admins; API keys are stored encrypted.

Every query is scoped to the actor's org, so another org's provider simply does not exist
for the caller (404), whatever its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Forbidden, NotFound
from nexora.governance.secrets import SecretBox, mask
from nexora.providers.config import DEFAULT_TIMEOUT_SECONDS
from nexora.providers.presets import PRESETS
from nexora.storage.models import ProviderSetting

PROVIDER_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.\-]{0,63}$"
ModelName = Annotated[str, Field(min_length=1, max_length=200)]


def _http_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


class ProviderSettingCreate(BaseModel):
    """The body of `PUT /api/admin/providers/{name}`: the provider's whole configuration.

    `api_key` omitted (or null) keeps the stored key; `""` removes it.
    """

    model_config = ConfigDict(extra="forbid")

    preset: str = Field(max_length=64)
    base_url: str | None = Field(default=None, max_length=500)
    api_key: str | None = Field(default=None, max_length=1000)
    models: list[ModelName] = Field(default_factory=list, max_length=100)
    proxy_url: str | None = Field(default=None, max_length=500)
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0, le=600)
    enabled: bool = True

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        if value not in PRESETS:
            raise ValueError(f"unknown preset; known presets: {', '.join(sorted(PRESETS))}")
        return value

    @field_validator("base_url", "proxy_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value)

    @field_validator("models")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(m.strip() for m in value if m.strip()))


def redact_url(url: str | None) -> str | None:
    """A proxy URL may carry a password; show the user name only."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:****@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True, slots=True)
class ProviderSettingView:
    """A stored provider as an admin may see it: the key masked, the proxy password hidden."""

    name: str
    preset: str
    family: str
    base_url: str | None
    effective_base_url: str
    api_key_set: bool
    api_key_masked: str | None
    models: list[str]
    proxy_url: str | None
    timeout_seconds: float
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ProviderSettingsService:
    """Create, read, replace and delete the provider settings of the actor's org (admins only)."""

    def __init__(self, secrets: SecretBox) -> None:
        self.secrets = secrets

    async def list(self, db: AsyncSession, actor: Actor) -> list[ProviderSettingView]:
        _require_admin(actor)
        rows = await db.scalars(
            select(ProviderSetting)
            .where(ProviderSetting.org_id == actor.org_id)
            .order_by(ProviderSetting.name)
        )
        return [self._view(row) for row in rows]

    async def get(self, db: AsyncSession, actor: Actor, name: str) -> ProviderSettingView:
        return self._view(await self._row(db, actor, name))

    async def put(
        self, db: AsyncSession, actor: Actor, name: str, body: ProviderSettingCreate
    ) -> ProviderSettingView:
        """Creates or replaces provider `name`; the stored key is kept unless `api_key` is given."""
        _require_admin(actor)
        row = await self._find(db, actor.org_id, name)
        if row is None:
            row = ProviderSetting(org_id=actor.org_id, name=name)
            db.add(row)
        row.preset = body.preset
        row.base_url = body.base_url
        row.models = body.models
        row.proxy_url = body.proxy_url
        row.timeout_seconds = body.timeout_seconds
        row.enabled = body.enabled
        if body.api_key is not None:
            row.api_key_encrypted = self.secrets.encrypt(body.api_key) if body.api_key else None
        await db.commit()
        return self._view(row)

    async def delete(self, db: AsyncSession, actor: Actor, name: str) -> None:
        row = await self._row(db, actor, name)
        await db.delete(row)
        await db.commit()

    async def _row(self, db: AsyncSession, actor: Actor, name: str) -> ProviderSetting:
        _require_admin(actor)
        row = await self._find(db, actor.org_id, name)
        if row is None:
            raise NotFound(f"provider {name!r} is not configured in this organization")
        return row

    @staticmethod
    async def _find(db: AsyncSession, org_id: str, name: str) -> ProviderSetting | None:
        return await db.scalar(
            select(ProviderSetting).where(
                ProviderSetting.org_id == org_id, ProviderSetting.name == name
            )
        )

    def _view(self, row: ProviderSetting) -> ProviderSettingView:
        masked = None
        if row.api_key_encrypted:
            try:
                masked = mask(self.secrets.decrypt(row.api_key_encrypted))
            except ValueError:
                masked = "(cannot be decrypted: set the key again)"
        preset = PRESETS.get(row.preset)
        return ProviderSettingView(
            name=row.name,
            preset=row.preset,
            family=preset.family if preset else "unknown",
            base_url=row.base_url,
            effective_base_url=row.base_url or (preset.base_url if preset else ""),
            api_key_set=row.api_key_encrypted is not None,
            api_key_masked=masked,
            models=[str(m) for m in row.models],
            proxy_url=redact_url(row.proxy_url),
            timeout_seconds=row.timeout_seconds,
            enabled=row.enabled,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("managing model providers needs the admin role")
