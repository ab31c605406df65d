"""Turns a `provider:model` reference into a ready pydantic-ai `Model` for one org.

Every lookup reads the org's provider row (cheap, and correct when another process changed
it); the built client is cached per (org, provider) and rebuilt only when the row's
fingerprint changes. Nothing here imports a provider SDK until a model is first built, so
importing the API stays fast.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.errors import InvalidInput, ModelNotConfigured
from nexora.governance.secrets import SecretBox
from nexora.providers.config import (
    DEFAULT_TIMEOUT_SECONDS,
    ProviderConfig,
    Source,
    env_api_key,
    env_base_url,
    env_configured,
)
from nexora.providers.detect import LocalDetector, default_probes
from nexora.providers.health import ProbeResult, ProviderStatus, check, probe
from nexora.providers.presets import PRESETS, Preset
from nexora.storage.models import ProviderSetting

if TYPE_CHECKING:
    import httpx2
    from pydantic_ai.models import Model

    from nexora.providers.resilience import BreakerPolicy, CircuitBreaker, RetryPolicy, Sleep

NOT_CONFIGURED = (
    "No model is configured. Set NEXORA_DEFAULT_MODEL=openai:gpt-4o-mini and OPENAI_API_KEY, "
    "configure a provider with `PUT /api/admin/providers/{name}`, "
    "or start Ollama / LM Studio / llama.cpp server on this machine."
)

_FAMILY_MODULES = {
    "openai": "nexora.providers.openai_compat",
    "anthropic": "nexora.providers.anthropic",
    "google": "nexora.providers.google",
}

# A replaced client may still serve a request that started before the change; it is closed
# once that request has surely ended.
_RETIRE_AFTER_SECONDS = 600.0


__all__ = ["ModelInfo", "ModelResolver", "ProbeResult", "ProviderStatus", "ResolvedModel"]

# Providers that plugins add are named `<plugin>__<name>`; no preset or org provider can be.
PLUGIN_SEPARATOR = "__"
# Finds the model factory of a plugin provider enabled in an org (`PluginHost.provider`).
PluginProviders = Callable[[AsyncSession, str, str], Awaitable["Callable[[str], Model] | None"]]


class _Family(Protocol):
    """What each provider-family module (`openai_compat`, `anthropic`, `google`) provides."""

    def build_model(
        self, config: ProviderConfig, model_name: str, http_client: httpx2.AsyncClient
    ) -> Model: ...


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    ref: str
    provider: str
    model_name: str
    model: Model


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    provider: str
    model: str
    source: Source
    is_default: bool


@dataclass
class _Entry:
    fingerprint: str
    config: ProviderConfig
    client: httpx2.AsyncClient
    models: dict[str, Model] = field(default_factory=dict)


def parse_ref(ref: str) -> tuple[str, str]:
    """`ollama:qwen2.5:7b` → (`ollama`, `qwen2.5:7b`): the provider ends at the first colon."""
    provider, _, model = ref.partition(":")
    if not provider or not model:
        raise InvalidInput(
            f"model reference {ref!r} must be 'provider:model', e.g. 'openai:gpt-4o'"
        )
    return provider, model


def _needs_key(name: str, preset: Preset) -> ModelNotConfigured:
    return ModelNotConfigured(
        f"provider {name!r} has no API key: set {preset.key_env} or configure one with "
        f"`PUT /api/admin/providers/{name}`"
    )


class ModelResolver:
    """Resolves model references for every org of this process, and owns their HTTP clients.

    `detector`, `retry`, `breaker`, `clock`, `sleep` and `transport` exist for tests.
    """

    def __init__(
        self,
        settings: Settings,
        secrets: SecretBox,
        *,
        detector: LocalDetector | None = None,
        retry: RetryPolicy | None = None,
        breaker: BreakerPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.detector = detector or LocalDetector(default_probes(settings))
        self._retry = retry
        self._breaker_policy = breaker
        self._clock = clock
        self._sleep = sleep
        self._transport = transport
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}
        self._retired: list[tuple[float, httpx2.AsyncClient]] = []
        self.plugin_providers: PluginProviders | None = None

    async def resolve(self, db: AsyncSession, org_id: str, ref: str | None) -> ResolvedModel:
        """The model `ref` names in this org; `None` means the org's default model."""
        if ref is None:
            ref = await self.default_ref(db, org_id)
        provider, model_name = parse_ref(ref)
        if PLUGIN_SEPARATOR in provider:
            build = (
                await self.plugin_providers(db, org_id, provider) if self.plugin_providers else None
            )
            if build is None:
                raise ModelNotConfigured(
                    f"provider {provider!r} comes from a plugin that is not enabled here"
                )
            return ResolvedModel(
                f"{provider}:{model_name}", provider, model_name, build(model_name)
            )
        config = await self.provider_config(db, org_id, provider)
        await self._close_retired()
        model = self._model_for(org_id, config, model_name)
        return ResolvedModel(f"{provider}:{model_name}", provider, model_name, model)

    async def default_ref(self, db: AsyncSession, org_id: str) -> str:
        """The configured default, else the first configured model, else a local server's."""
        if self.settings.default_model:
            return self.settings.default_model
        for row in await self._rows(db, org_id):
            if row.enabled and row.models:
                return f"{row.name}:{row.models[0]}"
        for config in env_configured(self.settings):
            if config.models:
                return f"{config.name}:{config.models[0]}"
        if self.settings.detect_local_models:
            server = await self.detector.first()
            if server is not None:
                return f"{server.preset}:{server.models[0]}"
        raise ModelNotConfigured(NOT_CONFIGURED)

    async def list_models(self, db: AsyncSession, org_id: str) -> list[ModelInfo]:
        """Models usable in the org: its providers', the environment's, detected local ones."""
        try:
            default: str | None = await self.default_ref(db, org_id)
        except ModelNotConfigured:
            default = None
        rows = await self._rows(db, org_id)
        shadowed = {row.name for row in rows}  # an org's own provider replaces a preset's
        found: list[tuple[str, str, Source]] = []
        for row in rows:
            if row.enabled:
                found += [(row.name, str(m), "org") for m in row.models]
        for config in env_configured(self.settings):
            if config.name not in shadowed:
                found += [(config.name, m, "env") for m in config.models]
        if self.settings.detect_local_models:
            for server in await self.detector.detect():
                if server.preset not in shadowed:
                    found += [(server.preset, m, "local") for m in server.models]
        if default and default not in {f"{p}:{m}" for p, m, _ in found}:
            provider, model = parse_ref(default)
            found.insert(0, (provider, model, "env"))
        infos: dict[str, ModelInfo] = {}
        for provider, model, source in found:
            ref = f"{provider}:{model}"
            infos.setdefault(ref, ModelInfo(ref, provider, model, source, ref == default))
        return list(infos.values())

    async def provider_config(self, db: AsyncSession, org_id: str, name: str) -> ProviderConfig:
        """The effective settings of provider `name` in the org, or why it cannot be used."""
        row = await db.scalar(
            select(ProviderSetting).where(
                ProviderSetting.org_id == org_id, ProviderSetting.name == name
            )
        )
        if row is not None:
            return self._from_row(row)
        preset = PRESETS.get(name)
        if preset is None:
            known = sorted({*(r.name for r in await self._rows(db, org_id)), *PRESETS})
            raise ModelNotConfigured(
                f"unknown provider {name!r}; known providers: {', '.join(known)}. "
                f"Configure it with `PUT /api/admin/providers/{name}`."
            )
        key = env_api_key(self.settings, preset)
        if preset.key_required and key is None:
            raise _needs_key(name, preset)
        url = env_base_url(self.settings, preset)
        source: Source = "env"
        if url is None and preset.local and self.settings.detect_local_models:
            for server in await self.detector.detect():
                if server.preset == preset.name:
                    url, source = server.base_url, "local"
                    break
        return ProviderConfig(
            name=name,
            preset=preset,
            base_url=url or preset.base_url,
            api_key=key,
            models=preset.models,
            proxy_url=None,
            timeout_seconds=DEFAULT_TIMEOUT_SECONDS,
            source=source,
        )

    async def check(self, db: AsyncSession, org_id: str) -> list[ProviderStatus]:
        """Whether each provider the org can use is configured and reachable (`nexora doctor`)."""
        return await check(self, db, org_id)

    async def probe(
        self, db: AsyncSession, org_id: str, provider: str, model: str | None = None
    ) -> ProbeResult:
        """Sends a tiny real chat request through `provider` (the admin's "test" button)."""
        return await probe(self, db, org_id, provider, model)

    def invalidate(self, org_id: str, provider: str | None = None) -> None:
        """Forgets built clients and breaker state after the org's provider settings change."""
        for key in [k for k in self._entries if k[0] == org_id and provider in (None, k[1])]:
            self._retired.append((self._clock(), self._entries.pop(key).client))
        for key in [k for k in self._breakers if k[0] == org_id and provider in (None, k[1])]:
            del self._breakers[key]
        self.detector.forget()

    def breaker(self, org_id: str, provider: str) -> CircuitBreaker:
        from nexora.providers.resilience import BreakerPolicy, CircuitBreaker

        key = (org_id, provider)
        if key not in self._breakers:
            policy = self._breaker_policy or BreakerPolicy()
            self._breakers[key] = CircuitBreaker(provider, policy, self._clock)
        return self._breakers[key]

    def http_client(self, org_id: str, config: ProviderConfig) -> httpx2.AsyncClient:
        """The cached client for this provider's current settings, built on first use."""
        return self._entry(org_id, config).client

    async def aclose(self) -> None:
        clients = [e.client for e in self._entries.values()] + [c for _, c in self._retired]
        self._entries.clear()
        self._retired.clear()
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)

    async def _rows(self, db: AsyncSession, org_id: str) -> list[ProviderSetting]:
        query = (
            select(ProviderSetting)
            .where(ProviderSetting.org_id == org_id)
            .order_by(ProviderSetting.created_at, ProviderSetting.name)
        )
        return list(await db.scalars(query))

    def _from_row(self, row: ProviderSetting) -> ProviderConfig:
        configure = f"`PUT /api/admin/providers/{row.name}`"
        if not row.enabled:
            raise ModelNotConfigured(
                f"provider {row.name!r} is disabled; enable it with {configure}"
            )
        preset = PRESETS.get(row.preset)
        if preset is None:
            raise ModelNotConfigured(f"provider {row.name!r} uses unknown preset {row.preset!r}")
        key = env_api_key(self.settings, preset)
        if row.api_key_encrypted:
            try:
                key = self.secrets.decrypt(row.api_key_encrypted)
            except ValueError as exc:
                raise ModelNotConfigured(
                    f"the API key of provider {row.name!r} cannot be decrypted with this "
                    f"node's secret key; set it again with {configure}"
                ) from exc
        if preset.key_required and not key:
            raise _needs_key(row.name, preset)
        return ProviderConfig(
            name=row.name,
            preset=preset,
            base_url=row.base_url or env_base_url(self.settings, preset) or preset.base_url,
            api_key=key,
            models=tuple(str(m) for m in row.models),
            proxy_url=row.proxy_url,
            timeout_seconds=row.timeout_seconds,
            source="org",
        )

    def _entry(self, org_id: str, config: ProviderConfig) -> _Entry:
        from nexora.providers.http import build_http_client

        key = (org_id, config.name)
        entry = self._entries.get(key)
        if entry is None or entry.fingerprint != config.fingerprint:
            if entry is not None:
                self._retired.append((self._clock(), entry.client))
            client = build_http_client(config, transport=self._transport)
            entry = _Entry(config.fingerprint, config, client)
            self._entries[key] = entry
        return entry

    def _model_for(self, org_id: str, config: ProviderConfig, model_name: str) -> Model:
        from nexora.providers.resilience import ResilientModel, RetryPolicy

        entry = self._entry(org_id, config)
        model = entry.models.get(model_name)
        if model is None:
            raw = _family(config.family).build_model(config, model_name, entry.client)
            model = ResilientModel(
                raw,
                label=config.name,
                breaker=self.breaker(org_id, config.name),
                retry=self._retry or RetryPolicy(),
                timeout_seconds=config.timeout_seconds,
                sleep=self._sleep,
            )
            entry.models[model_name] = model
        return model

    async def _close_retired(self) -> None:
        now = self._clock()
        due = [c for t, c in self._retired if now - t >= _RETIRE_AFTER_SECONDS]
        if due:
            self._retired = [(t, c) for t, c in self._retired if now - t < _RETIRE_AFTER_SECONDS]
            await asyncio.gather(*(c.aclose() for c in due), return_exceptions=True)


def _family(family: str) -> _Family:
    try:
        return cast(_Family, importlib.import_module(_FAMILY_MODULES[family]))
    except ImportError as exc:
        raise ModelNotConfigured(
            f"the {family} SDK is not installed ({exc.name}); "
            'install it with `pip install "pydantic-ai-slim[openai,anthropic,google]"`'
        ) from exc
