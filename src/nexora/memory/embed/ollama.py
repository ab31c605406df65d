"""Ollama's own embeddings endpoint (`/api/embed`, batched since Ollama 0.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexora.memory.embed.remote import Endpoint, Request, Task, bearer

if TYPE_CHECKING:
    from nexora.config import Settings


class OllamaWire:
    max_batch = 512

    def default_url(self, settings: Settings) -> str:
        return settings.ollama_base_url or "http://127.0.0.1:11434"

    def api_key(self, settings: Settings) -> str | None:
        return None  # a local server; a key set for a proxy in front comes from the settings

    def request(self, endpoint: Endpoint, texts: list[str], task: Task) -> Request:
        body: dict[str, Any] = {"model": endpoint.model, "input": texts, "truncate": True}
        if endpoint.dims:
            body["dimensions"] = endpoint.dims
        return Request(f"{endpoint.base_url}/api/embed", body, bearer(endpoint.api_key))

    def vectors(self, answer: Any) -> list[list[float]]:
        return list(answer["embeddings"])


WIRE = OllamaWire()
