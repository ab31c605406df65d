"""Google's Gemini API: `models/{model}:batchEmbedContents` with retrieval task types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexora.memory.embed.remote import Endpoint, Request, Task

if TYPE_CHECKING:
    from nexora.config import Settings


class GeminiWire:
    max_batch = 100

    def default_url(self, settings: Settings) -> str:
        return "https://generativelanguage.googleapis.com/v1beta"

    def api_key(self, settings: Settings) -> str | None:
        key = settings.google_api_key
        return key.get_secret_value() if key else None

    def request(self, endpoint: Endpoint, texts: list[str], task: Task) -> Request:
        model = f"models/{endpoint.model}"
        task_type = "RETRIEVAL_QUERY" if task == "query" else "RETRIEVAL_DOCUMENT"
        requests = []
        for text in texts:
            one: dict[str, Any] = {
                "model": model,
                "content": {"parts": [{"text": text}]},
                "taskType": task_type,
            }
            if endpoint.dims:
                one["outputDimensionality"] = endpoint.dims
            requests.append(one)
        headers = {"x-goog-api-key": endpoint.api_key} if endpoint.api_key else {}
        return Request(
            f"{endpoint.base_url}/{model}:batchEmbedContents", {"requests": requests}, headers
        )

    def vectors(self, answer: Any) -> list[list[float]]:
        return [row["values"] for row in answer["embeddings"]]


WIRE = GeminiWire()
