"""OpenAI and every server speaking its Chat Completions API, chosen by base URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openai import AsyncOpenAI
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

from nexora.providers.config import ProviderConfig

if TYPE_CHECKING:
    import httpx2
    from pydantic_ai.models import Model

# The OpenAI client insists on a key; local servers ignore whatever is sent.
_NO_KEY = "not-needed"


def build_model(config: ProviderConfig, model_name: str, http_client: httpx2.AsyncClient) -> Model:
    client = AsyncOpenAI(
        base_url=config.base_url,
        api_key=config.api_key or _NO_KEY,
        http_client=http_client,
        timeout=http_client.timeout,
        # Retries belong to `ResilientModel`, so there is exactly one policy and one breaker.
        max_retries=0,
    )
    if config.preset.name == "openai":
        return OpenAIChatModel(model_name, provider=OpenAIProvider(openai_client=client))
    # Named after the preset, not the org's provider name, so a renamed provider keeps the
    # history it recorded (pydantic-ai keys replayable state on this name).
    provider = OpenAICompatibleProvider(config.preset.name, openai_client=client)
    return OpenAIChatModel(model_name, provider=provider)
