"""Google's native Gemini API (generateContent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic_ai.models.google import GoogleModel
from pydantic_ai.providers.google import GoogleProvider

from nexora.providers.config import ProviderConfig

if TYPE_CHECKING:
    import httpx2
    from pydantic_ai.models import Model


def build_model(config: ProviderConfig, model_name: str, http_client: httpx2.AsyncClient) -> Model:
    # Without `retry_options` google-genai never retries, which leaves retries to `ResilientModel`.
    provider = GoogleProvider(
        api_key=config.api_key, http_client=http_client, base_url=config.base_url
    )
    return GoogleModel(model_name, provider=provider)
