"""Model provider settings of the caller's org, for its admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from nexora.api.deps import AdminActor, DbSession, PlatformDep
from nexora.providers.presets import PRESETS, Family
from nexora.providers.settings_service import (
    PROVIDER_NAME_PATTERN,
    ProviderSettingCreate,
    ProviderSettingsService,
    ProviderSettingView,
)

router = APIRouter(prefix="/api/admin/providers", tags=["providers"])
presets_router = APIRouter(prefix="/api/admin/provider-presets", tags=["providers"])

ProviderName = Annotated[str, Path(pattern=PROVIDER_NAME_PATTERN)]


class ProviderSettingPublic(BaseModel):
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

    @classmethod
    def of(cls, view: ProviderSettingView) -> ProviderSettingPublic:
        return cls.model_validate(view, from_attributes=True)


class ProviderTest(BaseModel):
    model: str | None = Field(default=None, min_length=1, max_length=200)


class ProviderTestResult(BaseModel):
    ok: bool
    latency_ms: int
    detail: str
    model: str | None


class ProviderPresetPublic(BaseModel):
    name: str
    family: Family
    base_url: str
    models: list[str] = Field(description="Well-known models; any model name may be configured.")
    key_required: bool
    local: bool = Field(description="A local server, detected on loopback when running.")


def _service(platform: PlatformDep) -> ProviderSettingsService:
    return ProviderSettingsService(platform.secrets)


@router.get("", operation_id="listProviders")
async def list_providers(
    actor: AdminActor, db: DbSession, platform: PlatformDep
) -> list[ProviderSettingPublic]:
    return [ProviderSettingPublic.of(v) for v in await _service(platform).list(db, actor)]


@router.get("/{name}", operation_id="getProvider")
async def get_provider(
    name: ProviderName, actor: AdminActor, db: DbSession, platform: PlatformDep
) -> ProviderSettingPublic:
    return ProviderSettingPublic.of(await _service(platform).get(db, actor, name))


@router.put("/{name}", operation_id="putProvider")
async def put_provider(
    name: ProviderName,
    body: ProviderSettingCreate,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
) -> ProviderSettingPublic:
    """Creates or replaces a provider; omit `api_key` to keep the stored one, `""` clears it."""
    view = await _service(platform).put(db, actor, name, body)
    platform.models.invalidate(actor.org_id, name)
    platform.audit.record(
        "config.provider.update",
        actor=actor,
        resource_type="provider",
        resource_id=name,
        detail={
            "preset": body.preset,
            "base_url": body.base_url,
            "models": body.models,
            "api_key_changed": body.api_key is not None,
        },
    )
    return ProviderSettingPublic.of(view)


@router.delete("/{name}", status_code=204, operation_id="deleteProvider")
async def delete_provider(
    name: ProviderName, actor: AdminActor, db: DbSession, platform: PlatformDep
) -> Response:
    await _service(platform).delete(db, actor, name)
    platform.models.invalidate(actor.org_id, name)
    platform.audit.record(
        "config.provider.delete", actor=actor, resource_type="provider", resource_id=name
    )
    return Response(status_code=204)


@router.post("/{name}/test", operation_id="testProvider")
async def run_provider_test(
    name: ProviderName,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    body: ProviderTest | None = None,
) -> ProviderTestResult:
    """Sends one tiny real chat request through the provider, as a run would."""
    result = await platform.models.probe(db, actor.org_id, name, body.model if body else None)
    return ProviderTestResult.model_validate(result, from_attributes=True)


@presets_router.get("", operation_id="listProviderPresets")
async def list_provider_presets(actor: AdminActor) -> list[ProviderPresetPublic]:
    """The kinds of provider a configuration may start from (`preset` of a provider)."""
    return [
        ProviderPresetPublic(
            name=p.name,
            family=p.family,
            base_url=p.base_url,
            models=list(p.models),
            key_required=p.key_required,
            local=p.local,
        )
        for p in PRESETS.values()
    ]
