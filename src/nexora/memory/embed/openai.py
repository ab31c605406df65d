"""OpenAI's embeddings API, spoken also by vLLM, LM Studio, llama.cpp and most gateways."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexora.memory.embed.remote import Endpoint, Request, Task, bearer

if TYPE_CHECKING:
    from nexora.config import Settings


class OpenAIWire:
    max_batch = 2048

    def default_url(self, settings: Settings) -> str:
        return settings.openai_base_url or "https://api.openai.com/v1"

    def api_key(self, settings: Settings) -> str | None:
        key = settings.openai_api_key
        return key.get_secret_value() if key else None

    def request(self, endpoint: Endpoint, texts: list[str], task: Task) -> Request:
        body: dict[str, Any] = {"model": endpoint.model, "input": texts, "encoding_format": "float"}
        if endpoint.dims:
            body["dimensions"] = endpoint.dims
        return Request(f"{endpoint.base_url}/embeddings", body, bearer(endpoint.api_key))

    def vectors(self, answer: Any) -> list[list[float]]:
        data = sorted(answer["data"], key=lambda row: row["index"])
        return [row["embedding"] for row in data]


WIRE = OpenAIWire()
