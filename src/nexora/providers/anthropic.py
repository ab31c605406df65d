"""Anthropic's native Messages API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from anthropic import AsyncAnthropic
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.providers.anthropic import AnthropicProvider

from nexora.providers.config import ProviderConfig

if TYPE_CHECKING:
    import httpx2
    from pydantic_ai.models import Model


def build_model(config: ProviderConfig, model_name: str, http_client: httpx2.AsyncClient) -> Model:
    client = AsyncAnthropic(
        api_key=config.api_key,
        base_url=config.base_url,
        http_client=http_client,
        timeout=http_client.timeout,
        # Retries belong to `ResilientModel`, so there is exactly one policy and one breaker.
        max_retries=0,
    )
    return AnthropicModel(model_name, provider=AnthropicProvider(anthropic_client=client))
