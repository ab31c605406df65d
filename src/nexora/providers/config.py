"""One provider's effective settings, merged from the org's row, the environment and the preset."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

from nexora.config import Settings
from nexora.providers.presets import PRESETS, Family, Preset

Source = Literal["org", "env", "local"]

DEFAULT_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """Everything needed to build a client for one provider in one org."""

    name: str
    preset: Preset
    base_url: str
    api_key: str | None = field(repr=False)
    models: tuple[str, ...]
    proxy_url: str | None
    timeout_seconds: float
    source: Source

    @property
    def family(self) -> Family:
        return self.preset.family

    @property
    def fingerprint(self) -> str:
        """Changes whenever a setting that shapes the client changes, so a cached one is rebuilt."""
        parts = (
            self.preset.name,
            self.base_url,
            self.api_key or "",
            self.proxy_url or "",
            repr(self.timeout_seconds),
        )
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def env_api_key(settings: Settings, preset: Preset) -> str | None:
    """The platform-wide key for a preset from the environment; it applies to every org."""
    if preset.key_setting is None:
        return None
    value = getattr(settings, preset.key_setting, None)
    if isinstance(value, SecretStr):
        return value.get_secret_value() or None
    return None


def env_base_url(settings: Settings, preset: Preset) -> str | None:
    if preset.name == "openai":
        return settings.openai_base_url
    if preset.name == "ollama" and settings.ollama_base_url:
        return ollama_openai_url(settings.ollama_base_url)
    return None


def ollama_openai_url(url: str) -> str:
    """Ollama URLs are given with or without `/v1`; the OpenAI-compatible API lives under it."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else f"{url}/v1"


def env_configured(settings: Settings) -> list[ProviderConfig]:
    """Providers the environment configures: a key is set, or (Ollama) a base URL is."""
    found = []
    for preset in PRESETS.values():
        key = env_api_key(settings, preset)
        url = env_base_url(settings, preset)
        if key is None and (preset.key_required or url is None):
            continue
        found.append(
            ProviderConfig(
                name=preset.name,
                preset=preset,
                base_url=url or preset.base_url,
                api_key=key,
                models=preset.models,
                proxy_url=None,
                timeout_seconds=DEFAULT_TIMEOUT_SECONDS,
                source="env",
            )
        )
    return found
